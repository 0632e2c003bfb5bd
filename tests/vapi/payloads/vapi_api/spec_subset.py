"""Cut openapi.json (next to this file) out of VAPI's published OpenAPI definition.

The tests validate fake VAPI bodies against a few schemas (ROOTS). The full
definition is 3.25 MB; openapi.json keeps only ROOTS and every schema they reach
through `$ref`, byte for byte as published. See README.md for the source and sizes.

Regenerate (standard library only; downloads the file from GitHub unless given a
local copy of it):

    .venv/bin/python tests/vapi/payloads/vapi_api/spec_subset.py COMMIT [PATH]

COMMIT is the VapiAI/docs commit of fern/apis/api/openapi.json, recorded in the
output. To validate against another schema, add it to ROOTS and regenerate.
"""

import argparse
import hashlib
import json
import sys
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("openapi.json")
REPOSITORY = "VapiAI/docs"
SPEC_PATH = "fern/apis/api/openapi.json"
RAW_URL = "https://raw.githubusercontent.com/{repository}/{commit}/{path}"
SCHEMA_REF = "#/components/schemas/"

# Every schema named in a spec_errors(..., "<name>") call in tests.
ROOTS = (
    # REST bodies (tests/vapi/test_client.py, tests/vapi/test_sync.py)
    "Call",
    "CreateVapiPhoneNumberDTO",
    "TwilioPhoneNumber",
    "UpdateTwilioPhoneNumberDTO",
    # Server messages (tests/vapi/test_sync.py, tests/vapi/test_vapi_spec.py)
    "ServerMessageAssistantRequest",
    "ServerMessageConversationUpdate",
    "ServerMessageEndOfCallReport",
    "ServerMessageHang",
    "ServerMessageSpeechUpdate",
    "ServerMessageStatusUpdate",
    "ServerMessageToolCalls",
    "ServerMessageTranscript",
    "ServerMessageTransferDestinationRequest",
    # Our replies (tests/vapi/api/test_examples.py)
    "ServerMessageResponseAssistantRequest",
    "ServerMessageResponseToolCalls",
    "ServerMessageResponseTransferDestinationRequest",
)


def refs(node: Any) -> Iterator[str]:
    """The schema names `node` refers to, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                if not value.startswith(SCHEMA_REF):
                    raise ValueError(f"Unexpected $ref outside the schemas: {value}")
                yield value.removeprefix(SCHEMA_REF)
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def closure(schemas: dict[str, Any], roots: Iterable[str]) -> set[str]:
    """`roots` and every schema reachable from them; KeyError names a missing one."""
    reached: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name not in reached:
            reached.add(name)
            pending.extend(refs(schemas[name]))
    return reached


def subset(spec: dict[str, Any], *, commit: str, sha256: str) -> dict[str, Any]:
    """An OpenAPI document with no paths and only the schemas ROOTS need."""
    schemas = spec["components"]["schemas"]
    kept = closure(schemas, ROOTS)
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "x-voicehive-subset": {
            "source": f"https://github.com/{REPOSITORY}/blob/{commit}/{SPEC_PATH}",
            "sha256": sha256,
            "roots": list(ROOTS),
            "schemas": f"{len(kept)} of {len(schemas)}",
            "regenerate": "tests/vapi/payloads/vapi_api/spec_subset.py",
        },
        "paths": {},
        # In the published order: a regenerated file diffs cleanly against this one.
        "components": {
            "schemas": {name: body for name, body in schemas.items() if name in kept}
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", help=f"the {REPOSITORY} commit of {SPEC_PATH}")
    parser.add_argument("path", nargs="?", help="a local copy (else it is downloaded)")
    args = parser.parse_args(argv)
    if args.path:
        raw = Path(args.path).read_bytes()
    else:
        url = RAW_URL.format(repository=REPOSITORY, commit=args.commit, path=SPEC_PATH)
        with urllib.request.urlopen(url, timeout=60) as response:
            raw = response.read()
    document = subset(
        json.loads(raw), commit=args.commit, sha256=hashlib.sha256(raw).hexdigest()
    )
    OUTPUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    kept = document["x-voicehive-subset"]["schemas"]
    sys.stdout.write(
        f"Wrote {OUTPUT} ({OUTPUT.stat().st_size:,} bytes, {kept} schemas)\n"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
