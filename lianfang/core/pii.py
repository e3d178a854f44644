"""Personal data at rest: encryption, keyed look-up hashes, masking, phone normalisation.

- Encryption: AES-256-GCM (``cryptography``), a random 96-bit nonce per value; the stored bytes are
  ``b"\\x01" + nonce + ciphertext`` (the first byte is the key version).
- Look-up: HMAC-SHA256 keyed with ``LIANFANG_LOOKUP_KEY`` over ``kind + ":" + value``, 32 hex
  characters, so equal values can be found without decrypting and hashes of different kinds
  (ID number, phone) never collide.
- Masking: ``4405**********0014`` for an 18-character ID; ``138****5678`` for an 11-digit mobile.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.translation import gettext_lazy as _

_VERSION = b"\x01"


@functools.cache
def _aead() -> AESGCM:
    return AESGCM(settings.LIANFANG_PII_KEY)


def encrypt(text: str) -> bytes:
    """Encrypt ``text`` (UTF-8) and return ``version + nonce(12) + ciphertext+tag``."""
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, text.encode(), None)


def decrypt(blob: bytes | memoryview | None) -> str:
    """Inverse of :func:`encrypt`; ``""`` for None/empty. Raises ``cryptography`` InvalidTag on tampering."""
    if not blob:
        return ""
    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise ValueError("unknown PII key version")
    return _aead().decrypt(blob[1:13], blob[13:], None).decode()


@functools.lru_cache(maxsize=4)
def _keyed_hmac(key: bytes) -> hmac.HMAC:
    """An HMAC-SHA256 object already keyed with ``key``, to be copied per value (saves the key set-up)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def lookup_hash(kind: str, value: str) -> str:
    """Keyed hash (32 hex chars) of a normalised ``value``; ``""`` for an empty value.

    HMAC-SHA256(``LIANFANG_LOOKUP_KEY``, ``kind + ":" + value``) truncated to 32 hex characters; the keyed
    state is computed once per key and copied (an import hashes a million values).
    """
    if not value:
        return ""
    mac = _keyed_hmac(settings.LIANFANG_LOOKUP_KEY).copy()
    mac.update(f"{kind}:{value}".encode())
    return mac.hexdigest()[:32]


def mask_id(number: str) -> str:
    """``440524188001010014`` → ``4405**********0014``; shorter documents keep 2 + 2 characters."""
    if not number:
        return ""
    if len(number) >= 12:
        return number[:4] + "*" * (len(number) - 8) + number[-4:]
    if len(number) > 4:
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return "*" * len(number)


def mask_name(name: str) -> str:
    """A person's name masked for lists and the audit log: ``张三`` → ``张*``, ``王小芳`` → ``王*芳``,
    a Latin name keeps the first letter of each word (``Li Na`` → ``L* N*``); one character as is."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if name.isascii():
        return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; a fixed line keeps its last 4 digits."""
    if not phone:
        return ""
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


# A number as free text may hold it: an optional ``+`` (``+86``; ``0086`` is a run of digits itself), then
# digits with spaces, dashes, dots, slashes or brackets between them, then an optional final X (an ID's
# check character), whatever letters or signs stand before or after it.
_NUMBER_RUN = re.compile(r"\+?(?<!\d)\d(?:[\d \-./()]*\d)?(?:[ \-]?[Xx])?(?![\d])")
_DAY_SHAPE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")  # a date as typed, not an ID or phone number
_CHINA_PREFIX = re.compile(r"^(?:00)?86(?=1\d{10}$)")

QUERY_LOG_LIMIT = 100
"""The most characters of one search query the audit log keeps (registry.services.mask_query)."""


def mask_numbers_in(text: object, *, shortest: int = 7, limit: int | None = None) -> str:
    """Free text (an import problem's cell value, an error message's quote, a search query kept in the
    audit log) with every run of ``shortest`` or more digits masked whatever stands around it: spaces,
    dashes, dots, slashes and brackets inside the run are ignored, a final x/X and a leading
    ``+86``/``0086`` belong to it; full-width digits count too and stay full-width. A mobile (11
    digits starting with 1, after the country code) reads ``138****5678`` (``+86138****5678`` with its
    prefix); a fixed line (starting with 0, up to 12 digits) keeps its last 4 digits; any other run (an
    ID number of 15, 17 or 18 characters, a 5000-digit paste) is masked as an ID (:func:`mask_id`:
    ``"620103199001010026 王芳"`` → ``"6201**********0026 王芳"``). Shorter numbers (rooms, counts,
    ``"户 123456"``, the last 4 digits a search uses) and dates written ``YYYY-MM-DD`` (a birth date an
    import refused: ``"9999-12-31"``, not ``"99****31"``) stay as typed. With ``limit`` the result is
    cut to that many characters (the last one "…"). ``None`` gives ``""``. Raises nothing."""

    def mask(match: re.Match) -> str:
        run = match.group(0)
        digits = re.sub(r"[^\dXx]", "", run).upper()
        if sum(c.isdigit() for c in digits) < shortest or _DAY_SHAPE.fullmatch(run):
            return run
        plain = unicodedata.normalize("NFKC", digits)  # full-width digits are classified as ASCII ones
        national = _CHINA_PREFIX.sub("", plain)
        prefix, number = ("+86", digits[-len(national) :]) if national != plain else ("", digits)
        if national.isdigit() and len(national) == 11 and national.startswith("1"):
            return prefix + mask_phone(number)
        if national.isdigit() and national.startswith("0") and len(national) <= 12:
            return mask_phone(number)
        return mask_id(digits)

    masked = _NUMBER_RUN.sub(mask, "" if text is None else str(text))
    return masked if limit is None or len(masked) <= limit else masked[: limit - 1] + "…"


def quoted(value: object, *, limit: int = 40) -> str:
    """``value`` as an error message may quote it: in “”, every run of 7 or more digits masked
    (:func:`mask_numbers_in`: a phone ``138****5678``, an ID ``6201**********0012``) and cut to
    ``limit`` characters with "…". A form that refuses an ID or phone number never echoes it whole."""
    text = mask_numbers_in("" if value is None else str(value))
    return f"“{text[:limit]}…”" if len(text) > limit else f"“{text}”"


class PhoneError(ValueError):
    """A value that is not a valid Chinese phone number; ``value`` is the input."""

    def __init__(self, message: str, value: object):
        super().__init__(message)
        self.value = value


# How a phone number may be written: digits, optionally a leading + (a country code), spaces, dashes or
# dots between the digits and an area code in brackets. A sign, letters or other junk before, inside or
# after the number are refused (phonenumbers would skip them: ``-13800138000`` and ``tel:138…`` parse).
PHONE_SHAPE = re.compile(r"\+?(?:\d|\(\d+\))(?:[\s\-.]*(?:\d|\(\d+\)))*")


@functools.lru_cache(maxsize=65536)
def normalize_phone(raw: str) -> str:
    """Validate a Chinese mobile or fixed-line number with ``phonenumbers`` (region CN).

    Returns the national significant number with a leading 0 for fixed lines (``13812345678``,
    ``093112345678``). Raises PhoneError for anything not valid. Cached by value (phonenumbers costs
    ~18 µs a call).
    """
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if not text:
        raise PhoneError(str(_("phone number is empty")), raw)
    if not PHONE_SHAPE.fullmatch(text):
        raise PhoneError(
            str(_("not a phone number: digits only (spaces, dashes, brackets and a leading +86 may be used)")), raw
        )
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise PhoneError(str(_("not a phone number")), raw) from None
    if not phonenumbers.is_valid_number(parsed) or parsed.country_code != 86:
        raise PhoneError(str(_("not a valid Chinese phone number")), raw)
    national = str(parsed.national_number)
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        national = "0" + national
    return national


@dataclass(frozen=True)
class Sealed:
    """What a model stores for one personal value: ciphertext, look-up hash, masked text, last 4."""

    ciphertext: bytes
    hash: str
    masked: str
    last4: str


def seal(kind: str, value: str) -> Sealed:
    """Encrypt, hash and mask an already-normalised ``value`` of ``kind`` ("id" or "phone")."""
    if not value:
        return Sealed(b"", "", "", "")
    masked = mask_id(value) if kind == "id" else mask_phone(value)
    return Sealed(encrypt(value), lookup_hash(kind, value), masked, value[-4:])
