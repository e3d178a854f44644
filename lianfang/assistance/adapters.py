"""Adapters to the apps this one reads from (zones, workforce), in one place.

Each function calls the other app's documented selector and turns the answer into the small shape
this app needs, so a change over there is one edit here.

- zones (issue 5): ``zones.selectors.tier_of_households``, ``tier_index``, ``active_areas``;
- workforce (issue 3): ``workforce.selectors.responsibility_chain``, ``responsible_for``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class TierInfo:
    """A zone tier as this app shows it: ``key`` (zones.TierKey value) and its ``name`` in the active
    language; ``key == ""`` outside every area."""

    key: str = ""
    name: str = ""


NO_TIER = TierInfo()


def tier_label(key: str, stored_name: str = "") -> str:
    """The zone tier ``key`` (zones.TierKey value: sealed, controlled, precaution, high, medium, low) as
    the reader's language names it (封控区 / Sealed area), like the registry's tier tags. A key zones
    does not know falls back to ``stored_name`` (the name saved with the record); ``""`` for no tier."""
    from lianfang.zones.models import TierKey  # noqa: PLC0415

    if not key:
        return ""
    if key in TierKey.values:
        return str(TierKey(key).label)
    return stored_name or key


def tiers_of_households(household_ids: Iterable[int], *, on: dt.datetime | None = None) -> dict[int, TierInfo]:
    """``{household_id: TierInfo}`` of the zone tier in force at ``on`` (default now); NO_TIER outside
    every area. Two or three queries (zones.selectors.tier_of_households)."""
    from lianfang.zones.selectors import tier_of_households  # noqa: PLC0415

    tiers = tier_of_households(list(household_ids), on=on or timezone.now())
    return {pk: (TierInfo(t.key, t.display_name) if t is not None else NO_TIER) for pk, t in tiers.items()}


class TierLookup:
    """The zone tiers in force at one instant, for many division codes at once (two queries)."""

    def __init__(self, on: dt.datetime | None = None):
        from lianfang.zones.selectors import tier_index  # noqa: PLC0415

        self._index = tier_index(on or timezone.now())

    def roots(self) -> list[str]:
        """Minimal division codes whose subtrees hold every area node (for range queries)."""
        return self._index.roots() if self._index else []

    def tier_key(self, path: str) -> str:
        """The strictest tier key covering ``path`` (``""`` outside every area)."""
        tier = self._index.tier_for(path)
        return tier.key if tier is not None else ""


def sealed_areas(district_code: str, tier_keys: Iterable[str], *, on: dt.datetime | None = None) -> list:
    """Control areas in force in the district whose tier key is one of ``tier_keys`` (strictest first),
    with ``nodes`` prefetched: the areas a supply plan is drawn for."""
    from lianfang.zones.selectors import active_areas  # noqa: PLC0415

    keys = set(tier_keys)
    return [area for area in active_areas(district_code, on=on) if area.tier.key in keys]


def route(household, level: int, day: dt.date):
    """``(worker, level)`` of the nearest responsible person at ``level`` or above (4 → 1) for
    ``household`` on ``day`` (workforce.selectors.responsibility_chain); ``(None, None)`` when the chain
    is empty from ``level`` up."""
    from lianfang.workforce.selectors import responsibility_chain  # noqa: PLC0415

    for chain_level, assignment in responsibility_chain(household, on=day):
        if chain_level <= level and assignment is not None:
            return assignment.worker, chain_level
    return None, None


def chain(household, day: dt.date) -> list[tuple[int, object]]:
    """``[(level, assignment or None)]`` from L4 up to L1 (workforce.selectors.responsibility_chain)."""
    from lianfang.workforce.selectors import responsibility_chain  # noqa: PLC0415

    return responsibility_chain(household, on=day)


def route_many(pairs: list[tuple[int, int]], day: dt.date) -> dict[tuple[int, int], tuple[object, int]]:
    """Bulk :func:`route`: ``{(household_id, level): (worker, level routed to)}`` for ``pairs`` of
    ``(household_id, level)``. Each level is asked once (workforce.selectors.responsible_for, two
    queries) for the households still unrouted at it, from level 4 up to 1; pairs with nobody from
    their level up are absent."""
    from lianfang.workforce.selectors import responsible_for  # noqa: PLC0415

    pending = {pair: pair[1] for pair in set(pairs)}  # pair -> the level to try next
    result = {}
    for level in (4, 3, 2, 1):
        asking = sorted({h for (h, _top), lvl in pending.items() if lvl == level})
        if not asking:
            continue
        found = responsible_for(asking, level, on=day)
        for pair, lvl in list(pending.items()):
            if lvl != level:
                continue
            assignment = found.get(pair[0])
            if assignment is not None:
                result[pair] = (assignment.worker, level)
                del pending[pair]
            elif level > 1:
                pending[pair] = level - 1
            else:
                del pending[pair]
    return result


def representatives(household_ids: list[int], day: dt.date) -> dict[int, object]:
    """``{household_id: worker}`` of the household representatives (L4) on ``day`` (one query)."""
    from lianfang.workforce.selectors import responsible_for  # noqa: PLC0415

    return {h: a.worker for h, a in responsible_for(household_ids, 4, on=day).items()}
