"""Secrets at rest: calendar tokens and CalDAV passwords, encrypted with Fernet.

Keys come from CALENDAR_ENCRYPTION_KEYS (comma-separated Fernet keys, newest
first). Encryption uses the first; decryption tries each, so rotating is: put a
new key in front, run `manage.py rotate_calendar_secrets`, then drop the old key.
Without the setting (development and tests only: a deploy check refuses it in
production) a key is derived from SECRET_KEY.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """No configured key opens this secret (a key was dropped too early)."""


def _keys() -> list[bytes]:
    configured = [k.strip() for k in settings.CALENDAR_ENCRYPTION_KEYS if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    digest = hashlib.sha256(
        b"voicehive-calendars:" + settings.SECRET_KEY.encode()
    ).digest()
    return [base64.urlsafe_b64encode(digest)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt_json(values: dict) -> str:
    return _fernet().encrypt(json.dumps(values).encode()).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretUnreadable(
            "No key in CALENDAR_ENCRYPTION_KEYS opens this calendar secret."
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt under the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("No configured key opens this calendar secret.") from exc


def keys_configured() -> bool:
    return any(k.strip() for k in settings.CALENDAR_ENCRYPTION_KEYS)


def key_errors() -> list[str]:
    """Problems with the configured keys (each must be a valid Fernet key)."""
    errors = []
    for index, key in enumerate(settings.CALENDAR_ENCRYPTION_KEYS):
        if not key.strip():
            continue
        try:
            Fernet(key.strip().encode())
        except (ValueError, TypeError):
            errors.append(f"key #{index + 1} is not a valid Fernet key")
    return errors
