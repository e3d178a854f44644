"""Reads of the division hierarchy for pages of other apps."""

from __future__ import annotations

from collections.abc import Iterable

from lianfang.divisions.models import CODE_LENGTHS, Division, Level


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """What people call the place of each division code in ``codes``: the short names from the
    community down to the node, as a household's address starts (``620103001001001`` → “下西园社区
    阳光小区”); a node above community level by its own name (``6201`` → “兰州市”). Maps each code
    to its name; a code naming no division (or empty) maps to itself, so a page never shows less
    than before. One query whatever the number of codes; raises nothing.

    For pages that showed a bare 12/15-digit code where a place is meant (a screened person's
    location, new-user trial); show the code only as secondary information."""
    codes = {code for code in codes if code}
    community = CODE_LENGTHS[Level.COMMUNITY]
    wanted = set()
    for code in codes:
        wanted.add(code)
        wanted.update(code[:n] for n in CODE_LENGTHS.values() if community <= n < len(code))
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "short_name"))
    answer = {}
    for code in codes:
        if code not in names:
            answer[code] = code
            continue
        parts = [code[:n] for n in sorted(CODE_LENGTHS.values()) if community <= n < len(code)]
        answer[code] = " ".join([*(names[p] for p in parts if p in names), names[code]])
    return answer


def place_name(code: str) -> str:
    """:func:`place_names` of one code (``""`` for an empty one)."""
    return place_names([code]).get(code, code or "")
