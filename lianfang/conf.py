"""Typed helpers that read settings from environment variables.

Every helper raises ``django.core.exceptions.ImproperlyConfigured`` naming the variable and the bad
value, so a misconfigured server refuses to start instead of running with a silent default.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable ``name``; ``default`` when unset; ImproperlyConfigured when both are None."""
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    """Parse 1/true/yes/on and 0/false/no/off (case-insensitive); anything else is an error."""
    value = os.environ.get(name)
    if value is None:
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    """Parse a base-10 integer."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from exc


# DRF's SimpleRateThrottle.parse_rate reads "<requests>/<period>" and only the period's first letter.
_RATE_PERIODS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def env_rate(name: str, default: str) -> str:
    """Parse a throttle rate ``<requests>/<period>`` as DRF's ``SimpleRateThrottle`` reads it
    (rest_framework.throttling.parse_rate): a positive base-10 integer, then one of s/sec/second,
    m/min/minute, h/hour, d/day. Returns the value unchanged; ImproperlyConfigured naming the
    variable and value otherwise (DRF itself would fail only at the first API request, with a 500)."""
    value = os.environ.get(name)
    if value is None:
        return default
    count, _, period = value.strip().partition("/")
    if not (count.isascii() and count.isdigit() and int(count) > 0 and period.strip().lower() in _RATE_PERIODS):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: use <requests>/<period> with a positive whole number and "
            "a period of s, min, hour or day (e.g. 6000/min)"
        )
    return value.strip()


def env_code(name: str, default: str, *, lengths: tuple[int, ...] = (6,)) -> str:
    """Parse an administrative division code (GB/T 2260 / NBS statistical code): ASCII digits of one
    of ``lengths``. Returns the code; ImproperlyConfigured naming the variable and value otherwise."""
    value = os.environ.get(name)
    if value is None:
        return default
    code = value.strip()
    if not (code.isascii() and code.isdigit() and len(code) in lengths):
        wanted = " or ".join(str(n) for n in lengths)
        raise ImproperlyConfigured(f"{name}={value!r} is not a division code of {wanted} digits (e.g. {default})")
    return code


def env_list(name: str, default: list[str]) -> list[str]:
    """Parse a comma-separated list; blanks are dropped."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_from_env_or_file(name: str, path: Path, *, nbytes: int = 32, allow_generate: bool = True) -> str:
    """Return a secret from ``name``, else from ``path``; generate it into ``path`` on first run.

    Development only generates the file (``allow_generate``); production (DEBUG off) must set the
    variable. The value is returned as URL-safe base64 text of ``nbytes`` random bytes.
    """
    value = os.environ.get(name)
    if value:
        return value
    if path.exists():
        return path.read_text().strip()
    if not allow_generate:
        raise ImproperlyConfigured(f"Environment variable {name} is required when DEBUG is off")
    path.parent.mkdir(parents=True, exist_ok=True)
    value = base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def decode_key(name: str, value: str) -> bytes:
    """Decode a base64 (URL-safe or standard) 32-byte key; ImproperlyConfigured otherwise."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{name} is not base64") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes, got {len(raw)}")
    return raw
