"""The business file: YAML read with line numbers, checked against the format.

Errors name the line of the offending value (`line 12: hours[0].opens: ...`), so an
operator finds it in their editor. Only the keys below are accepted: a typo is an
error, not a silently ignored setting.
"""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

VERSION = 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")

# Business model fields the file sets directly, by section.
PROFILE_FIELDS = (
    "name",
    "timezone",
    "address",
    "phone",
    "website",
    "transfer_number",
    "notification_emails",
    "notification_phones",
    "is_active",
    "data_retention_days",
)
ROXY_FIELDS = (
    "greeting",
    "extra_instructions",
    "faq",
    "policies",
    "languages",
    "default_language",
    "voice_provider",
    "voice_id",
    "voice_model",
    "assistant_name",
    "after_hours_mode",
    "on_call_number",
    "recording_consent_required",
    "recording_consent_notice",
)
RULE_FIELDS = (
    "slot_minutes",
    "min_notice_minutes",
    "booking_horizon_days",
    "default_buffer_minutes",
    "reminder_lead_hours",
    "quiet_hours_start",
    "quiet_hours_end",
    "slots_offered",
)
TOP_KEYS = {
    "version",
    "slug",
    "profile",
    "roxy",
    "rules",
    "hours",
    "closures",
    "services",
    "providers",
    "transfer_destinations",
    "phone_numbers",
    "staff",
}
ITEM_KEYS = {
    "hours": {"day", "opens", "closes"},
    "closures": {"from", "to", "reason"},
    "services": {"name", "minutes", "price", "buffer", "description", "active"},
    "providers": {"name", "services", "active"},
    "transfer_destinations": {
        "name",
        "number",
        "purpose",
        "hours",
        "mode",
        "summary",
        "own_hours",
        "active",
    },
    "phone_numbers": {"vapi_id", "number", "label"},
    "staff": {"email", "role"},
}
REQUIRED = {
    "hours": ("day", "opens", "closes"),
    "closures": ("from",),
    "services": ("name", "minutes"),
    "providers": ("name",),
    "transfer_destinations": ("name", "number", "purpose"),
    "phone_numbers": ("vapi_id",),
    "staff": ("email", "role"),
}


class BlueprintError(Exception):
    """The file is not a valid business file; `errors` name each line."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Located:
    """A plain value and the line (1-based) it was written on."""

    value: Any
    line: int


def load(text: str) -> dict[str, Any]:
    """Parse and check a business file; raise BlueprintError listing every problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise BlueprintError([f"{where}not valid YAML ({exc.problem or exc})"]) from exc
    if node is None or not isinstance(node, yaml.MappingNode):
        raise BlueprintError(["line 1: the file must be a mapping (key: value)"])
    errors: list[str] = []
    data = _plain(node, "", errors)
    _check(data, node, errors)
    if errors:
        raise BlueprintError(errors)
    return data


def dump(data: dict[str, Any]) -> str:
    """The file's text for `data`, keys in the format's order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def _plain(node: yaml.Node, path: str, errors: list[str]) -> Any:
    """The node as Python data; remembers lines in `_lines` on mappings."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                errors.append(f"line {key_node.start_mark.line + 1}: {key} twice")
            out[key] = _plain(value_node, f"{path}{key}.", errors)
            lines[key] = value_node.start_mark.line + 1
        out["_lines"] = lines
        out["_line"] = node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, path, errors) for item in node.value]
    return yaml.SafeLoader(yaml.safe_dump(None)).construct_object(node, deep=True)


def _check(data: dict[str, Any], node: yaml.Node, errors: list[str]) -> None:
    lines = data["_lines"]
    for key in data:
        if not key.startswith("_") and key not in TOP_KEYS:
            errors.append(f"line {lines[key]}: unknown section {key!r}")
    if data.get("version", VERSION) != VERSION:
        errors.append(f"line {lines.get('version', 1)}: version must be {VERSION}")
    slug = data.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[-a-z0-9_]+", slug or ""):
        errors.append(
            f"line {lines.get('slug', 1)}: slug is required: lowercase letters, "
            "digits and dashes"
        )
    for section, allowed in (
        ("profile", PROFILE_FIELDS),
        ("roxy", ROXY_FIELDS),
        ("rules", RULE_FIELDS),
    ):
        _check_mapping(data.get(section), section, allowed, lines, errors)
    for section in ITEM_KEYS:
        _check_items(data.get(section), section, lines, errors)


def _check_mapping(value, section, allowed, lines, errors) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        errors.append(f"line {lines[section]}: {section} must be a mapping")
        return
    for key, line in value["_lines"].items():
        if key not in allowed:
            errors.append(f"line {line}: unknown {section} setting {key!r}")
    for key in ("quiet_hours_start", "quiet_hours_end"):
        if key in value and not _is_clock(value[key]):
            errors.append(f"line {value['_lines'][key]}: {key} must be HH:MM")


def _check_items(value, section, lines, errors) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        errors.append(f"line {lines[section]}: {section} must be a list")
        return
    for index, item in enumerate(value):
        where = f"{section}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"line {lines[section]}: {where} must be a mapping")
            continue
        for key, line in item["_lines"].items():
            if key not in ITEM_KEYS[section]:
                errors.append(f"line {line}: {where}: unknown key {key!r}")
        for key in REQUIRED[section]:
            if item.get(key) in (None, ""):
                errors.append(f"line {item['_line']}: {where}: {key} is required")
        _check_values(item, where, errors)


def _check_values(item: dict[str, Any], where: str, errors: list[str]) -> None:
    lines = item["_lines"]
    if "day" in item and str(item["day"]).lower()[:3] not in WEEKDAYS:
        errors.append(f"line {lines['day']}: {where}.day must be one of {WEEKDAYS}")
    for key in ("opens", "closes"):
        if key in item and not _is_clock(item[key]):
            errors.append(f"line {lines[key]}: {where}.{key} must be HH:MM")
    for key in ("from", "to"):
        if key in item and not isinstance(item[key], dt.date):
            errors.append(f"line {lines[key]}: {where}.{key} must be a YYYY-MM-DD date")
    if "minutes" in item and not (
        isinstance(item["minutes"], int) and item["minutes"] > 0
    ):
        errors.append(
            f"line {lines['minutes']}: {where}.minutes must be a whole number"
        )


def _is_clock(value: Any) -> bool:
    # YAML 1.1 reads 09:00 as the number 540 (sexagesimal): ask for quotes.
    return isinstance(value, str) and bool(_CLOCK.match(value))


def clock(value: str) -> dt.time:
    return dt.time.fromisoformat(value if len(value) == 5 else f"0{value}")


def weekday(value: str) -> int:
    return WEEKDAYS.index(str(value).lower()[:3])
