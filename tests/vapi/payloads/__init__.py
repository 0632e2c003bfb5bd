"""The example call, one VAPI server message per file, and the replies we owe.

Each `NN-….json` here is a body VAPI POSTs to the webhook; `responses/NN-….json` is
the body the examples say the server answers it with (`responses/ack-informational.json`
for messages that need no answer). See README.md here for the call's timeline.
"""

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESPONSES = HERE / "responses"
NAMES = sorted(path.stem for path in HERE.glob("*.json"))
CALL_ID = "01959539-0aec-7c3e-9b1d-4f6a2e8c5d17"
PHONE_NUMBER_ID = "3f8e2d1c-7b6a-4c5d-8e9f-0a1b2c3d4e5f"
SALON_LINE = "+15125550142"
CALLER = "+15125550187"


def load_payload(name: str) -> dict[str, Any]:
    return json.loads(payload_bytes(name))


def payload_bytes(name: str) -> bytes:
    return (HERE / f"{name}.json").read_bytes()


def load_response(name: str) -> dict[str, Any]:
    """An example reply, e.g. "04-tool-calls-check-availability" or "….error"."""
    return json.loads((RESPONSES / f"{name}.json").read_text())
