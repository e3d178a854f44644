"""What screening reads from and asks of the zones and workforce apps, in one place.

- Pooling modes: the tier in force over a household (zones.selectors.tier_index) gives its modes
  (``RuleTier.pooling_modes``, the first is the default); outside every area the rule set's baseline
  tier (precaution / low) applies; the screening rule set's ``fallback_pooling_mode`` is used only
  when no zones rule set exists at all.
- Round deadline: ``RuleSet.round_deadline_hours`` of the district's rule set (domain.md §4: 24 h).
- Control-area proposals: zones.services.control_area_declare with ``reason="positive_pool"``.
- Responsibility chain: workforce.selectors.responsibility_chain (L4 … L1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class ModeIndex:
    """``mode_for(path)``: the default pooling mode of the strictest tier over ``path``."""

    index: object | None
    baseline_mode: str

    def mode_for(self, path: str) -> str:
        tier = self.index.tier_for(path) if self.index is not None else None
        if tier is not None and tier.pooling_modes:
            return tier.pooling_modes[0]
        return self.baseline_mode


def mode_index(district_code: str, *, fallback: str, at=None) -> ModeIndex:
    """The pooling modes in force in ``district_code`` at ``at`` (two or three queries)."""
    from lianfang.zones import selectors  # noqa: PLC0415

    rule_set = selectors.current_rule_set(district_code)
    baseline = next((t for t in selectors.tiers_of(rule_set) if t.is_baseline and t.pooling_modes), None)
    index = selectors.tier_index(at, district=district_code)
    return ModeIndex(index=index or None, baseline_mode=baseline.pooling_modes[0] if baseline else fallback)


def round_deadline_hours(district_code: str) -> int:
    """Hours a regional round may take under the district's zones rule set (domain.md §4: 24)."""
    from lianfang.zones import selectors  # noqa: PLC0415

    return int(selectors.current_rule_set(district_code).round_deadline_hours)


def rule_set_key(district_code: str) -> str:
    from lianfang.zones import selectors  # noqa: PLC0415

    return selectors.current_rule_set(district_code).key


def control_area_nodes(area_id: int, user) -> tuple[str, list]:
    """``(district code, [Division])`` of zones ControlArea ``area_id`` as ``user`` may read it
    (``ControlArea.objects.visible_to``); raises LookupError when it is missing or invisible to them
    (the same answer, so an id names no place the user cannot see)."""
    from lianfang.zones.models import ControlArea  # noqa: PLC0415

    areas = ControlArea.objects.visible_to(user)
    area = areas.filter(pk=area_id).select_related("operation__district").first()
    if area is None:
        raise LookupError(area_id)
    return area.operation.district.code, [n.division for n in area.nodes.select_related("division")]


def propose_control_area(*, district_code: str, nodes: list, pool_ref: str, note: str) -> int | None:
    """Raise a control-area proposal (status ``proposed``) at the strictest tier of the open
    operation for ``nodes``; returns its id, or None when the district has no open operation.
    Runs as the system (actor None): a commander approves or withdraws it in the zones app."""
    from lianfang.zones import selectors, services  # noqa: PLC0415

    operation = selectors.current_operation(district_code)
    if operation is None or not nodes:
        return None
    tier = selectors.tiers_of(operation.rule_set)[0]
    area = services.control_area_declare(
        actor=None,
        operation=operation,
        tier=tier,
        nodes=nodes,
        reason="positive_pool",
        positive_pool_ref=pool_ref,
        note=note,
    )
    return area.pk


def chain(household, on=None) -> list[tuple[int, object | None]]:
    """``[(level, assignment or None)]`` from L4 up to L1 for ``household`` (workforce)."""
    from lianfang.workforce.selectors import responsibility_chain  # noqa: PLC0415

    return responsibility_chain(household, on=on)


def representatives(household_ids) -> dict[int, object]:
    """``{household_id: L4 assignment}`` today (workforce), with ``worker`` loaded."""
    from lianfang.workforce.selectors import responsible_for  # noqa: PLC0415

    return responsible_for(household_ids, 4)
