"""Resident identity numbers (居民身份证号码), GB 11643-1999 and the older GB 11643-1989.

Rules (../shared/docs/domain.md §5):
- 18 characters: 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd = male,
  even = female), and a check character by ISO 7064 MOD 11-2 (python-stdnum computes it).
- Lower-case ``x`` equals ``X``; full-width characters are folded by NFKC.
- 15-digit numbers (GB 11643-1989: YYMMDD, no check character) are converted by inserting "19"
  and computing the check character.
- Excel keeps 15 significant digits: a number that reached us as a float, in scientific notation,
  or as an 18-digit value whose check fails and that looks float-rounded is *corrupt* and is
  reported as such, never repaired.
- The birth date is validated here, not by ``stdnum.cn.ric.validate`` (which rejects real numbers
  whose address code is older or newer than the birth date); an unknown address code is at most a
  warning and is not checked here at all.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

_DIGITS18 = re.compile(r"^\d{17}[\dX]$")
_DIGITS15 = re.compile(r"^\d{15}$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$")
_SEPARATORS = re.compile(r"[\s\-]")


class IdNumberError(ValueError):
    """A value that is not a valid identity number.

    ``code`` is one of ``empty``, ``excel_corrupted``, ``format``, ``birth_date``, ``check_digit``;
    ``value`` is the input as received; ``str(error)`` is a translated, human sentence.
    """

    def __init__(self, code: str, message: str, value: object):
        super().__init__(message)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character identity number and what it encodes.

    ``number`` is upper-case ASCII; ``sex`` is ``"M"`` or ``"F"``; ``converted_from_15`` tells
    that the input was a 15-digit GB 11643-1989 number.
    """

    number: str
    address_code: str
    birth_date: dt.date
    sex: str
    converted_from_15: bool = False


def normalize(raw: object) -> str:
    """Fold ``raw`` to the compact text form: NFKC, strip spaces and separators, upper-case X.

    Raises IdNumberError(``excel_corrupted``) when ``raw`` is a number rather than text: an int or
    float cell has already lost the digits past the 15th.
    """
    if raw is None:
        return ""
    if isinstance(raw, bool | int | float):
        raise IdNumberError(
            "excel_corrupted",
            str(_("Corrupted by Excel (stored as a number) — re-export the column as text")),
            raw,
        )
    text = unicodedata.normalize("NFKC", raw if raw.__class__ is str else str(raw)).strip()
    if not text.isalnum():  # only then can there be spaces or hyphens inside
        text = _SEPARATORS.sub("", text)
    text = text.upper()
    if text.startswith("'"):  # Excel's text prefix
        text = text[1:]
    return text


def _check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (python-stdnum's calculation)."""
    return ric.calc_check_digit(body17 + "0")  # stdnum expects the check position present


def _looks_float_rounded(number: str) -> bool:
    """True when an 18-digit value has Excel's 15-significant-digit zeros or is a rounded double."""
    if number[15:] == "000":
        return True
    if not number.isdigit():
        return False
    value = int(number)
    return value % 16 == 0 and int(float(value)) == value


def parse(raw: object, *, today: dt.date | None = None) -> IdNumber:
    """Validate ``raw`` (text, typically a spreadsheet cell) and return an IdNumber.

    Raises IdNumberError with code ``empty``, ``excel_corrupted``, ``format``, ``birth_date`` or
    ``check_digit``. ``today`` bounds the birth date (default: today's date).
    """
    text = normalize(raw)
    if not text:
        raise IdNumberError("empty", str(_("Identity number is empty")), raw)
    if _SCIENTIFIC.match(text) or "E+" in text:
        raise IdNumberError(
            "excel_corrupted",
            str(_("Corrupted by Excel (scientific notation) — re-export the column as text")),
            raw,
        )
    converted = False
    if _DIGITS15.match(text):
        body = text[:6] + "19" + text[6:]
        text = body + _check_char(body)
        converted = True
    if not _DIGITS18.match(text):
        raise IdNumberError(
            "format",
            str(_("Must be 18 characters (17 digits and a digit or X) or 15 digits, got %(n)d")) % {"n": len(text)},
            raw,
        )
    check_ok = _check_char(text[:17]) == text[17]
    if not check_ok and _looks_float_rounded(text):
        raise IdNumberError(
            "excel_corrupted",
            str(_("Corrupted by Excel (digits past the 15th were lost) — re-export the column as text")),
            raw,
        )
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", str(_("Birth date %(d)s does not exist")) % {"d": text[6:14]}, raw) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise IdNumberError("birth_date", str(_("Birth date %(d)s is out of range")) % {"d": text[6:14]}, raw)
    if not check_ok:
        raise IdNumberError("check_digit", str(_("Check character does not match (GB 11643-1999)")), raw)
    sex = "M" if int(text[16]) % 2 == 1 else "F"
    return IdNumber(number=text, address_code=text[:6], birth_date=birth, sex=sex, converted_from_15=converted)


def make(address_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid 18-character number from parts (for generated demo data).

    ``sequence`` is 0..999; its parity gives the sex (odd = male).
    """
    body = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + _check_char(body)
