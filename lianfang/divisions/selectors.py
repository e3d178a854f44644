"""Reads of the division hierarchy for pages of other apps."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from lianfang.divisions.models import CODE_LENGTHS, LEVEL_BY_LENGTH, Division, Level

PLACE_SEPARATOR = " › "


def place_names(
    codes: Iterable[str], *, below: int, down_to: int = Level.UNIT, sep: str = PLACE_SEPARATOR
) -> dict[str, str]:
    """What a reader calls the place of each division code in ``codes``: the short names of its path
    below level ``below``, from the top down, joined by ``sep``. With ``below=Level.DISTRICT``,
    ``620103001001001`` → “西园街道 › 下西园社区 › 阳光小区”; with ``below=Level.STREET`` the same
    code → “下西园社区 › 阳光小区”. A node at or above ``below`` is named by its own short name
    (``6201`` → “兰州市”). A code deeper than ``down_to`` is named as its ancestor at that level (a
    report's column shows a household's compound, not its unit). An ancestor missing from the table
    is skipped.

    The caller passes the level its reader stands at (``below``): a community's people list names
    places below the street, a refusal below the district, a report below the level above its
    division. ``sep`` differs from :data:`PLACE_SEPARATOR` only where a text is written as an
    address (a printed public notice: ``" "``).

    Maps every code of ``codes`` (each once): ``""`` (the root of every scope) to “the whole city”,
    a code naming no division to “an unknown division” (never the raw code). One query whatever the
    number of codes; raises nothing."""
    codes = set(codes)
    cut = CODE_LENGTHS[Level(down_to)]
    first = CODE_LENGTHS[Level(below + 1)] if below < Level.UNIT else cut
    paths: dict[str, list[str]] = {}
    for code in codes:
        if len(code) not in LEVEL_BY_LENGTH:
            continue
        node = code[:cut]
        paths[code] = [node[:n] for n in sorted(CODE_LENGTHS.values()) if first <= n < len(node)] + [node]
    wanted = {c for path in paths.values() for c in path}
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "short_name")) if wanted else {}
    answer = {}
    for code in codes:
        path = paths.get(code)
        if not code:
            answer[code] = _("the whole city")
        elif path is None or path[-1] not in names:
            answer[code] = _("an unknown division")
        else:
            answer[code] = sep.join(names[c] for c in path if c in names)
    return answer


def place_name(code: str, *, below: int, down_to: int = Level.UNIT, sep: str = PLACE_SEPARATOR) -> str:
    """:func:`place_names` of one code."""
    return place_names([code], below=below, down_to=down_to, sep=sep)[code]
