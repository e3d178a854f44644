"""Every write to control areas, operations, infections and rule sets (atomic, validated, audited).

Status changes are conditional updates (``filter(pk=..., status=old).update(...) == 1``) carrying a
:class:`~lianfang.zones.models.ReasonCode`; each appends a :class:`ControlAreaEvent` (the area's
history) and an audit entry. ``actor=None`` is the system (zone_tick): it is never refused for lack
of a capability but can never override. Errors:

- ``django.core.exceptions.ValidationError`` — bad input, with a dict naming the field and value;
- :class:`ConditionsNotMet` — lifting or downgrading while a condition fails, without an override;
- :class:`StatusConflict` — the row changed status meanwhile (someone else acted first);
- ``django.core.exceptions.PermissionDenied`` — the actor lacks the capability at that division.

Rules come from the area's rule set (domain.md §2); capabilities: MANAGE_ZONES to declare,
approve, lift and downgrade, OVERRIDE for a commander's written override.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import require
from lianfang.core import audit
from lianfang.core.fielderrors import control_character_problem
from lianfang.core.filters import future_day_error
from lianfang.core.forms import field_line, items_line, moment_text
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.zones import selectors
from lianfang.zones.models import (
    AreaReason,
    AreaStatus,
    ControlArea,
    ControlAreaEvent,
    ControlAreaNode,
    EventKind,
    EvidenceKind,
    Infection,
    InfectionPlace,
    LiftRule,
    ManualEvidence,
    Operation,
    OperationStatus,
    PlaceKind,
    ReasonCode,
    RuleSet,
    RuleTier,
)

_CODE_LENGTHS_DESC = sorted(CODE_LENGTHS.values(), reverse=True)


class ConditionsNotMet(ValidationError):
    """A lift or downgrade refused because conditions fail; ``conditions`` lists every one evaluated
    (selectors.Condition) and ``failing`` those not met. A commander may override with a reason."""

    def __init__(self, conditions: Sequence):
        self.conditions = list(conditions)
        self.failing = [c for c in self.conditions if c.met is not True]
        text = items_line(field_line(c.label, c.evidence) for c in self.failing)
        super().__init__(_("refused: conditions not met — %(list)s") % {"list": text}, code="conditions_not_met")


class StatusConflict(ValidationError):
    """The area is no longer in the expected status (another user changed it first)."""


# --------------------------------------------------------------------------------------------- helpers


def _require(actor, capability: str, code: str, what=None) -> None:
    """Raise PermissionDenied unless ``actor`` (None = system) has ``capability`` at ``code`` (the
    message names ``what`` was refused, else the capability: accounts.selectors.denied_message)."""
    require(actor, capability, code, what)


def _require_override(actor, code: str, override_reason: str) -> str:
    """Validate a commander's override: a written reason and the OVERRIDE capability at ``code``."""
    reason = (override_reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"override_reason": _("an override needs a written reason (5 characters or more)")})
    if actor is None:
        raise PermissionDenied(_("the system never overrides a rule"))
    _require(actor, Capability.OVERRIDE, code)
    return reason


def _reason_problem(reason: str) -> str | None:
    """Why ``reason`` (a written reason, already stripped) cannot be kept (translated), or None:
    empty, or holding a control or invisible format character such as a zero-width-only U+200B
    (core.fielderrors.control_character_problem). Rule: new-user trial 15."""
    if not reason:
        return _("a reason is required")
    return control_character_problem(reason)


def common_path(codes: Iterable[str]) -> str:
    """The deepest division code containing every one of ``codes`` (their common prefix cut to a
    code length); ``""`` when they share no province. ``["620103001001001", "620103001001002"]``
    → ``"620103001001"``."""
    codes = list(codes)
    if not codes:
        return ""
    prefix = codes[0]
    for code in codes[1:]:
        n = 0
        while n < min(len(prefix), len(code)) and prefix[n] == code[n]:
            n += 1
        prefix = prefix[:n]
    for n in _CODE_LENGTHS_DESC:
        if n <= len(prefix):
            return prefix[:n]
    return ""


def area_name(divisions: Sequence[Division]) -> str:
    """A short label naming the places: up to three short names, then ``+N``."""
    names = [d.short_name for d in divisions]
    label = " / ".join(names[:3])
    if len(names) > 3:
        label += f" +{len(names) - 3}"
    return label[:200]


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("time %(value)s has no time zone") % {"value": at}})
    return at


def _event(area: ControlArea, kind: str, *, actor, at, reason_code: str, **extra) -> ControlAreaEvent:
    return ControlAreaEvent.objects.create(
        area=area,
        path=area.path,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reason_code=reason_code,
        **extra,
    )


def _set_status(area: ControlArea, old: str, new: str, **fields) -> None:
    """Conditional update ``old`` → ``new``; StatusConflict when the row is no longer ``old``."""
    updated = ControlArea.objects.filter(pk=area.pk, status=old).update(status=new, **fields)
    if updated != 1:
        current = ControlArea.objects.filter(pk=area.pk).values_list("status", flat=True).first()
        raise StatusConflict(
            _("area %(name)s is %(current)s, not %(expected)s: it was changed meanwhile")
            % {"name": area.name, "current": current, "expected": old},
            code="status_conflict",
        )
    area.status = new
    for key, value in fields.items():
        setattr(area, key, value)


def _actor_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --------------------------------------------------------------------------------------------- operations


def operation_open(
    *, actor, district: Division, name: str, rule_set: RuleSet | None = None, started_on: dt.date | None = None
) -> Operation:
    """Open an operation (an outbreak response) in ``district`` under ``rule_set`` (default: the
    default rule set, the 8th-edition era). Raises ValidationError when the district is not a
    district (level 3), already has an open operation, the name is empty, or the rule set is a
    local variant of another district; PermissionDenied without MANAGE_ZONES at the district."""
    errors = {}
    if district.level != Level.DISTRICT:
        errors["district"] = _("an operation belongs to a district (level 3), not %(node)s") % {"node": district}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("an operation needs a name")
    rule_set = rule_set or selectors.default_rule_set()
    if rule_set.district_id and rule_set.district_id != district.pk:
        errors["rule_set"] = _("rule set %(rs)s is a local variant of another district") % {"rs": rule_set.key}
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.MANAGE_ZONES, district.code)
    with transaction.atomic():
        existing = Operation.objects.filter(district=district, status=OperationStatus.OPEN).first()
        if existing is not None:
            raise ValidationError(
                {"district": _("%(d)s already has an open operation: %(op)s") % {"d": district, "op": existing}}
            )
        operation = Operation.objects.create(
            name=name,
            district=district,
            rule_set=rule_set,
            started_on=started_on or selectors.local_day(),
            created_by=_actor_or_none(actor),
        )
        audit.record(actor=actor, action="zones.operation_open", obj=operation, detail={"rule_set": rule_set.key})
    return operation


def operation_rule_set_change(*, actor, operation: Operation, rule_set: RuleSet, reason: str) -> Operation:
    """Switch ``operation`` to ``rule_set`` (rules changed three times in two years). Areas already
    declared keep their tier and its rules; new proposals use the new set. ``reason`` is required.
    Raises ValidationError / PermissionDenied as :func:`operation_open`."""
    reason = (reason or "").strip()
    if problem := _reason_problem(reason):
        raise ValidationError({"reason": problem})
    if rule_set.district_id and rule_set.district_id != operation.district_id:
        raise ValidationError(
            {"rule_set": _("rule set %(rs)s is a local variant of another district") % {"rs": rule_set.key}}
        )
    _require(actor, Capability.MANAGE_ZONES, operation.district.code)
    with transaction.atomic():
        old = operation.rule_set.key
        updated = Operation.objects.filter(pk=operation.pk, status=OperationStatus.OPEN).update(rule_set=rule_set)
        if updated != 1:
            raise StatusConflict(_("operation %(op)s is closed") % {"op": operation}, code="status_conflict")
        operation.rule_set = rule_set
        audit.record(
            actor=actor,
            action="zones.rule_set_change",
            obj=operation,
            reason=reason,
            detail={"from": old, "to": rule_set.key},
        )
    return operation


def operation_close(*, actor, operation: Operation, ended_on: dt.date | None = None, reason: str = "") -> Operation:
    """Close ``operation``; refused (ValidationError) while any of its areas is in force or proposed."""
    _require(actor, Capability.MANAGE_ZONES, operation.district.code)
    ended_on = ended_on or selectors.local_day()
    if ended_on < operation.started_on:
        raise ValidationError({"ended_on": _("“%(day)s” is before the start") % {"day": ended_on}})
    with transaction.atomic():
        busy = operation.areas.filter(status__in=(AreaStatus.ACTIVE, AreaStatus.PROPOSED)).count()
        if busy:
            raise ValidationError(
                {
                    "operation": ngettext(
                        "%(n)d area is still active or proposed: lift or withdraw it first",
                        "%(n)d areas are still active or proposed: lift or withdraw them first",
                        busy,
                    )
                    % {"n": busy}
                }
            )
        updated = Operation.objects.filter(pk=operation.pk, status=OperationStatus.OPEN).update(
            status=OperationStatus.CLOSED, ended_on=ended_on
        )
        if updated != 1:
            raise StatusConflict(_("operation %(op)s is already closed") % {"op": operation}, code="status_conflict")
        operation.status, operation.ended_on = OperationStatus.CLOSED, ended_on
        audit.record(actor=actor, action="zones.operation_close", obj=operation, reason=reason)
    return operation


# --------------------------------------------------------------------------------------------- rule sets

_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
RULE_SET_EDITABLE = (
    "name",
    "name_en",
    "source",
    "effective_from",
    "contact_window_days",
    "close_centralized_days",
    "close_home_days",
    "close_centralized_test_days",
    "close_home_test_days",
    "secondary_traced",
    "secondary_mode",
    "secondary_days",
    "secondary_test_days",
    "round_deadline_hours",
    "quarantine_source",
)
TIER_EDITABLE = (
    "name",
    "name_en",
    "measures",
    "measures_en",
    "colour",
    "pooling_modes",
    "first_screening_hours",
    "proposal_level",
    "propose_for_places",
    "max_node_level",
    "source",
)
LIFT_RULE_EDITABLE = (
    "quiet_days",
    "counted_from",
    "round_from_day",
    "round_within_days",
    "contact_clear_days",
    "requires_stricter_lifted",
    "source",
)


def rule_set_copy(*, actor, rule_set: RuleSet, key: str, name: str, name_en: str, district: Division) -> RuleSet:
    """Copy ``rule_set`` (its tiers and lifting rules) as a local variant owned by ``district``.

    The copy is never the default and never shipped; change its values with
    :func:`rule_set_update`. Raises ValidationError for a bad or taken ``key`` (lower-case letters,
    digits and hyphens), an empty name, or a district that is not level 3; PermissionDenied without
    MANAGE_ZONES at the district.
    """
    errors = {}
    if not _KEY_RE.match(key or ""):
        errors["key"] = _("key “%(value)s” must be 2-60 lower-case letters, digits or hyphens") % {"value": key}
    elif RuleSet.objects.filter(key=key).exists():
        errors["key"] = _("key “%(value)s” is taken") % {"value": key}
    if not (name or "").strip() or not (name_en or "").strip():
        errors["name"] = _("both names (zh-Hans and English) are required")
    if district.level != Level.DISTRICT:
        errors["district"] = _("a local variant belongs to a district (level 3), not %(node)s") % {"node": district}
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.MANAGE_ZONES, district.code)
    with transaction.atomic():
        copy = RuleSet.objects.get(pk=rule_set.pk)
        copy.pk = None
        copy.key, copy.name, copy.name_en = key, name.strip(), name_en.strip()
        copy.based_on, copy.district, copy.is_builtin, copy.is_default = rule_set, district, False, False
        copy.save()
        tiers = list(rule_set.tiers.all())
        old_to_new: dict[int, RuleTier] = {}
        for tier in tiers:
            old_pk, upgrade = tier.pk, tier.upgrade_to_id
            tier.pk, tier.rule_set, tier.upgrade_to = None, copy, None
            tier.save()
            tier._old_upgrade = upgrade
            old_to_new[old_pk] = tier
        for tier in old_to_new.values():
            if tier._old_upgrade:
                tier.upgrade_to = old_to_new[tier._old_upgrade]
                tier.save(update_fields=["upgrade_to"])
        for rule in LiftRule.objects.filter(tier__rule_set=rule_set):
            rule.pk = None
            rule.tier = old_to_new[rule.tier_id]
            rule.to_tier = old_to_new[rule.to_tier_id] if rule.to_tier_id else None
            rule.save()
        audit.record(
            actor=actor,
            action="zones.rule_set_copy",
            obj=copy,
            division_code=district.code,
            detail={"based_on": rule_set.key},
        )
    return copy


def _validate_day_list(value, label: str, period: int | None) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValidationError({label: _("“%(value)s” must be a list of day numbers") % {"value": value}})
    bad = [v for v in value if v < 1 or (period is not None and v > period)]
    if bad:
        raise ValidationError({label: _("day numbers %(bad)s are outside 1..%(n)s") % {"bad": bad, "n": period}})
    return sorted(set(value))


def rule_set_update(
    *,
    actor,
    rule_set: RuleSet,
    values: dict | None = None,
    tier_values: dict[str, dict] | None = None,
    rule_values: dict[int, dict] | None = None,
    reason: str,
) -> RuleSet:
    """Change values of a local variant: ``values`` for the rule set (RULE_SET_EDITABLE fields),
    ``tier_values`` by tier key (TIER_EDITABLE), ``rule_values`` by lifting-rule id
    (LIFT_RULE_EDITABLE). Validates everything before writing; errors name ``tiers.<key>.<field>``
    or ``rules.<id>.<field>`` and the value. Shipped rule sets are never changed (ValidationError).
    """
    if rule_set.is_builtin:
        raise ValidationError({"rule_set": _("shipped rule set %(rs)s cannot be changed: copy it") % {"rs": rule_set}})
    if problem := _reason_problem((reason or "").strip()):
        raise ValidationError({"reason": problem})
    _require(actor, Capability.MANAGE_ZONES, rule_set.district.code if rule_set.district_id else "")
    values, tier_values, rule_values = values or {}, tier_values or {}, rule_values or {}
    errors: dict[str, list] = {}
    changes: dict[str, list] = {}

    def apply(obj, allowed, data, prefix):
        for name, value in data.items():
            label = f"{prefix}{name}"
            if name not in allowed:
                errors.setdefault(label, []).append(_("field %(f)s cannot be changed") % {"f": name})
                continue
            old = getattr(obj, name)
            if old != value:
                setattr(obj, name, value)
                changes[label] = [str(old), str(value)]
        try:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(f"{prefix}{name}", []).extend(f"{m} ({getattr(obj, name, '')!r})" for m in messages)

    apply(rule_set, RULE_SET_EDITABLE, values, "")
    for key, period in (
        ("close_centralized_test_days", rule_set.close_centralized_days),
        ("close_home_test_days", rule_set.close_home_days),
        ("secondary_test_days", rule_set.secondary_days),
    ):
        try:
            setattr(rule_set, key, _validate_day_list(getattr(rule_set, key), key, period))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    tiers = {t.key: t for t in rule_set.tiers.all()}
    for key, data in tier_values.items():
        tier = tiers.get(key)
        if tier is None:
            errors.setdefault(f"tiers.{key}", []).append(_("no tier “%(key)s” in this rule set") % {"key": key})
            continue
        apply(tier, TIER_EDITABLE, data, f"tiers.{key}.")
        modes = tier.pooling_modes
        from lianfang.zones.models import PoolingMode  # noqa: PLC0415

        if not isinstance(modes, list) or any(m not in PoolingMode.values for m in modes):
            errors.setdefault(f"tiers.{key}.pooling_modes", []).append(
                _("unknown pooling mode in “%(value)s”") % {"value": modes}
            )
    rules = {r.pk: r for r in LiftRule.objects.filter(tier__rule_set=rule_set)}
    for pk, data in rule_values.items():
        rule = rules.get(int(pk))
        if rule is None:
            errors.setdefault(f"rules.{pk}", []).append(_("no lifting rule %(pk)s in this rule set") % {"pk": pk})
            continue
        apply(rule, LIFT_RULE_EDITABLE, data, f"rules.{pk}.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule_set.save()
        for tier in tiers.values():
            tier.save()
        for rule in rules.values():
            rule.save()
        audit.record(actor=actor, action="zones.rule_set_update", obj=rule_set, reason=reason, detail=changes)
    return rule_set


# --------------------------------------------------------------------------------------------- areas


def _validate_nodes(operation: Operation, tier: RuleTier, nodes: Iterable[Division]) -> list[Division]:
    """Unique, sorted nodes inside the operation's district, none inside another; the district node
    itself only for the baseline tier. Raises ValidationError naming the offending code."""
    unique = sorted({n.pk: n for n in nodes}.values(), key=lambda n: n.code)
    if not unique:
        raise ValidationError({"nodes": _("an area needs at least one place")})
    district_code = operation.district.code
    for node in unique:
        if not node.code.startswith(district_code):
            raise ValidationError(
                {"nodes": _("%(node)s is outside the district %(d)s") % {"node": node, "d": operation.district}}
            )
        if node.level < Level.STREET and not (tier.is_baseline and node.level == Level.DISTRICT):
            raise ValidationError(
                {"nodes": _("%(node)s is too wide for a %(tier)s area") % {"node": node, "tier": tier}}
            )
    for a in unique:
        for b in unique:
            if a is not b and b.code.startswith(a.code):
                raise ValidationError({"nodes": _("%(inner)s is already inside %(outer)s") % {"inner": b, "outer": a}})
    return unique


def too_wide_nodes(tier: RuleTier, codes: Iterable[str]) -> list[str]:
    """Codes wider than ``tier.max_node_level`` allows (20 measures: a building or stairwell only)."""
    if not tier.max_node_level:
        return []
    limit = CODE_LENGTHS[Level(tier.max_node_level)]
    return [c for c in codes if len(c) < limit]


def _create_area(
    *,
    actor,
    operation: Operation,
    tier: RuleTier,
    nodes: list[Division],
    reason: str,
    reason_code: str,
    at: dt.datetime,
    infection: Infection | None = None,
    predecessor: ControlArea | None = None,
    positive_pool_ref: str = "",
    note: str = "",
) -> ControlArea:
    area = ControlArea.objects.create(
        operation=operation,
        tier=tier,
        name=area_name(nodes),
        path=common_path(n.code for n in nodes),
        status=AreaStatus.PROPOSED,
        status_reason=reason_code,
        reason=reason,
        infection=infection,
        predecessor=predecessor,
        positive_pool_ref=positive_pool_ref,
        note=note,
        declared_by=_actor_or_none(actor),
        declared_at=at,
    )
    ControlAreaNode.objects.bulk_create([ControlAreaNode(area=area, division=n, code=n.code) for n in nodes])
    _event(area, EventKind.PROPOSED, actor=actor, at=at, to_status=AreaStatus.PROPOSED, reason_code=reason_code)
    audit.record(
        actor=actor,
        action="zones.area_propose",
        obj=area,
        reason=reason_code,
        detail={"tier": tier.key, "nodes": [n.code for n in nodes], "reason": reason},
    )
    return area


def control_area_declare(
    *,
    actor,
    operation: Operation,
    tier: RuleTier,
    nodes: Iterable[Division],
    reason: str = AreaReason.OTHER,
    infection: Infection | None = None,
    positive_pool_ref: str = "",
    note: str = "",
    at: dt.datetime | None = None,
) -> ControlArea:
    """Propose an area of ``tier`` over ``nodes`` in ``operation`` (status ``proposed``); it is in
    force once approved (:func:`control_area_approve`).

    ``reason`` is an AreaReason (a linked ``infection``, a positive pool named by
    ``positive_pool_ref``, ...). Raises ValidationError (tier of another rule set, nodes outside the
    district or nested, closed operation, reason unknown) and PermissionDenied (MANAGE_ZONES at the
    places).
    """
    at = _now(at)
    if operation.status != OperationStatus.OPEN:
        raise ValidationError({"operation": _("operation %(op)s is closed") % {"op": operation}})
    if tier.rule_set_id != operation.rule_set_id:
        raise ValidationError(
            {
                "tier": _("tier %(tier)s is not in the operation's rule set %(rs)s")
                % {"tier": tier, "rs": operation.rule_set}
            }
        )
    if reason not in AreaReason.values:
        raise ValidationError({"reason": _("unknown reason “%(value)s”") % {"value": reason}})
    if reason == AreaReason.INFECTION and infection is None:
        raise ValidationError({"infection": _("a linked infection is required for this reason")})
    if reason == AreaReason.POSITIVE_POOL and not positive_pool_ref.strip():
        raise ValidationError({"positive_pool_ref": _("name the positive pool (tube barcode or pool id)")})
    nodes = _validate_nodes(operation, tier, nodes)
    _require(actor, Capability.MANAGE_ZONES, common_path(n.code for n in nodes))
    with transaction.atomic():
        return _create_area(
            actor=actor,
            operation=operation,
            tier=tier,
            nodes=nodes,
            reason=reason,
            reason_code=ReasonCode.DECLARED,
            at=at,
            infection=infection,
            positive_pool_ref=positive_pool_ref.strip(),
            note=note,
        )


def control_area_nodes_set(*, actor, area: ControlArea, nodes: Iterable[Division], note: str = "") -> ControlArea:
    """Replace the places of a proposed area (the commander adjusts a proposal before approving).

    Raises ValidationError as :func:`control_area_declare`, StatusConflict when the area is no
    longer proposed, PermissionDenied without MANAGE_ZONES over both the old and the new places.
    """
    nodes = _validate_nodes(area.operation, area.tier, nodes)
    new_path = common_path(n.code for n in nodes)
    _require(actor, Capability.MANAGE_ZONES, area.path)
    _require(actor, Capability.MANAGE_ZONES, new_path)
    at = timezone.now()
    with transaction.atomic():
        locked = ControlArea.objects.select_for_update().get(pk=area.pk)
        if locked.status != AreaStatus.PROPOSED:
            raise StatusConflict(
                _("only a proposal can be adjusted; %(name)s is %(status)s")
                % {"name": area.name, "status": locked.get_status_display()},
                code="status_conflict",
            )
        old = list(area.nodes.values_list("code", flat=True))
        area.nodes.all().delete()
        ControlAreaNode.objects.bulk_create([ControlAreaNode(area=area, division=n, code=n.code) for n in nodes])
        area.name, area.path = area_name(nodes), new_path
        ControlArea.objects.filter(pk=area.pk).update(name=area.name, path=area.path)
        _event(area, EventKind.NODES_CHANGED, actor=actor, at=at, reason_code=ReasonCode.NODES_CHANGED, note=note)
        audit.record(
            actor=actor,
            action="zones.area_nodes",
            obj=area,
            reason=ReasonCode.NODES_CHANGED,
            detail={"from": old, "to": [n.code for n in nodes]},
        )
    return area


APPROVE_AHEAD = dt.timedelta(hours=24)
"""How far ahead of now an approval may put an area in force. An area approved for a later day
counted as in force at once (status active, “earliest lift” shown); further ahead is a typo
(new-user trial 15's 2099-01-01)."""


def control_area_approve(
    *, actor, area: ControlArea, effective_from: dt.datetime | None = None, note: str = "", override_reason: str = ""
) -> ControlArea:
    """Put a proposed area in force from ``effective_from`` (default now).

    An upgrade or downgrade proposal ends its predecessor at the same instant (status upgraded or
    downgraded). A downgrade is checked against the predecessor's lifting rule on that day, and a
    place wider than the tier allows (``max_node_level``) is refused; both only pass with a
    commander's ``override_reason``. ``effective_from`` more than :data:`APPROVE_AHEAD` after now
    or on a day before the operation started is refused (ValidationError naming it). Raises
    ConditionsNotMet, ValidationError, StatusConflict, PermissionDenied.
    """
    at = _now(effective_from)
    _require(actor, Capability.MANAGE_ZONES, area.path)
    if area.operation.status != OperationStatus.OPEN:
        raise ValidationError({"operation": _("operation %(op)s is closed") % {"op": area.operation}})
    if at > timezone.now() + APPROVE_AHEAD:
        raise ValidationError(
            {
                "effective_from": _("“%(at)s” is more than %(hours)s hours ahead: approve it closer to the time")
                % {"at": moment_text(at), "hours": int(APPROVE_AHEAD.total_seconds() // 3600)}
            }
        )
    if selectors.local_day(at) < area.operation.started_on:
        raise ValidationError(
            {
                "effective_from": _("“%(at)s” is before the operation started (%(start)s)")
                % {"at": moment_text(at), "start": area.operation.started_on.isoformat()}
            }
        )
    overridden, conditions = "", []
    wide = too_wide_nodes(area.tier, area.nodes.values_list("code", flat=True))
    predecessor = area.predecessor
    if predecessor is not None:
        if predecessor.status != AreaStatus.ACTIVE:
            raise StatusConflict(
                _("the area it replaces (%(name)s) is %(status)s")
                % {"name": predecessor.name, "status": predecessor.get_status_display()},
                code="status_conflict",
            )
        if predecessor.effective_from and at < predecessor.effective_from:
            raise ValidationError(
                {"effective_from": _("“%(at)s” is before the area it replaces began") % {"at": moment_text(at)}}
            )
        if area.reason == AreaReason.DOWNGRADE:
            clock = selectors.area_clock(predecessor, on=at)
            conditions = clock.conditions
            if not clock.ready:
                if not override_reason:
                    raise ConditionsNotMet(conditions)
                overridden = _require_override(actor, area.path, override_reason)
    if wide:
        if not override_reason:
            raise ValidationError(
                {
                    "nodes": _("%(codes)s are wider than a %(tier)s area may be (level %(level)s): override needed")
                    % {"codes": ", ".join(wide), "tier": area.tier, "level": area.tier.get_max_node_level_display()}
                }
            )
        overridden = _require_override(actor, area.path, override_reason)
    with transaction.atomic():
        if predecessor is not None:
            ended = AreaStatus.UPGRADED if area.reason == AreaReason.UPGRADE else AreaStatus.DOWNGRADED
            reason_code = (
                ReasonCode.POSITIVE_INSIDE
                if ended == AreaStatus.UPGRADED
                else (ReasonCode.OVERRIDE if overridden else ReasonCode.CONDITIONS_MET)
            )
            _set_status(
                predecessor,
                AreaStatus.ACTIVE,
                ended,
                ended_at=at,
                status_reason=reason_code,
                lift_due_since=None,
                change_ready=False,
            )
            _event(
                predecessor,
                ended,
                actor=actor,
                at=at,
                from_status=AreaStatus.ACTIVE,
                to_status=ended,
                reason_code=reason_code,
                note=overridden or note,
                overridden=bool(overridden),
                conditions=[c.as_dict() for c in conditions],
                related_area=area,
            )
            audit.record(
                actor=actor,
                action=f"zones.area_{ended}",
                obj=predecessor,
                reason=reason_code,
                detail={
                    "successor": area.pk,
                    "override": overridden,
                    "failing": [c.code for c in conditions if c.met is not True],
                },
            )
        code = ReasonCode.OVERRIDE if overridden else ReasonCode.APPROVED
        _set_status(
            area,
            AreaStatus.PROPOSED,
            AreaStatus.ACTIVE,
            effective_from=at,
            approved_by=_actor_or_none(actor),
            status_reason=code,
        )
        _event(
            area,
            EventKind.APPROVED,
            actor=actor,
            at=at,
            from_status=AreaStatus.PROPOSED,
            to_status=AreaStatus.ACTIVE,
            reason_code=code,
            note=overridden or note,
            overridden=bool(overridden),
            related_area=predecessor,
        )
        audit.record(actor=actor, action="zones.area_approve", obj=area, reason=code, detail={"override": overridden})
        area_clocks_refresh(areas=[area])
    return area


def control_area_withdraw(*, actor, area: ControlArea, reason: str) -> ControlArea:
    """Withdraw a proposal (not approved) with a written ``reason``. Raises ValidationError (no
    reason), StatusConflict (not a proposal any more), PermissionDenied."""
    reason = (reason or "").strip()
    if problem := _reason_problem(reason):
        raise ValidationError({"reason": problem})
    _require(actor, Capability.MANAGE_ZONES, area.path)
    at = timezone.now()
    with transaction.atomic():
        _set_status(area, AreaStatus.PROPOSED, AreaStatus.WITHDRAWN, status_reason=ReasonCode.WITHDRAWN)
        _event(
            area,
            EventKind.WITHDRAWN,
            actor=actor,
            at=at,
            from_status=AreaStatus.PROPOSED,
            to_status=AreaStatus.WITHDRAWN,
            reason_code=ReasonCode.WITHDRAWN,
            note=reason,
        )
        audit.record(actor=actor, action="zones.area_withdraw", obj=area, reason=f"{ReasonCode.WITHDRAWN}: {reason}")
    return area


def _check_conditions(actor, area: ControlArea, at: dt.datetime, *, lifting: bool, override_reason: str):
    """Evaluate ``area``'s rule at ``at``; returns (clock, conditions, override text or "")."""
    clock = selectors.area_clock(area, on=at)
    conditions = list(clock.conditions)
    if lifting and clock.is_downgrade:
        from lianfang.zones.selectors import Condition  # noqa: PLC0415

        conditions.append(
            Condition(
                "rule",
                _("This tier lifts directly"),
                False,
                _("the rule set downgrades it to %(tier)s first") % {"tier": clock.target_tier},
            )
        )
    if all(c.met is True for c in conditions) and clock.rule is not None:
        return clock, conditions, ""
    if not override_reason:
        raise ConditionsNotMet(conditions)
    return clock, conditions, _require_override(actor, area.path, override_reason)


def control_area_lift(
    *, actor, area: ControlArea, note: str = "", override_reason: str = "", at: dt.datetime | None = None
) -> ControlArea:
    """Lift ``area`` at ``at`` (default now) when every condition of its rule holds on that day
    (Asia/Shanghai); otherwise raise ConditionsNotMet, unless a commander gives ``override_reason``
    (needs OVERRIDE; recorded with the failing conditions). A tier whose rule downgrades first
    (9th edition: high → medium) needs an override to lift directly. Raises StatusConflict when the
    area is not active, PermissionDenied without MANAGE_ZONES."""
    at = _now(at)
    _require(actor, Capability.MANAGE_ZONES, area.path)
    if area.status != AreaStatus.ACTIVE:
        raise StatusConflict(
            _("%(name)s is %(status)s, not active") % {"name": area.name, "status": area.get_status_display()},
            code="status_conflict",
        )
    if area.effective_from and at < area.effective_from:
        raise ValidationError({"at": _("“%(at)s” is before the area began") % {"at": moment_text(at)}})
    _clock, conditions, overridden = _check_conditions(actor, area, at, lifting=True, override_reason=override_reason)
    code = ReasonCode.OVERRIDE if overridden else ReasonCode.CONDITIONS_MET
    with transaction.atomic():
        _set_status(
            area,
            AreaStatus.ACTIVE,
            AreaStatus.LIFTED,
            ended_at=at,
            status_reason=code,
            lift_due_since=None,
            change_ready=False,
        )
        _event(
            area,
            EventKind.LIFTED,
            actor=actor,
            at=at,
            from_status=AreaStatus.ACTIVE,
            to_status=AreaStatus.LIFTED,
            reason_code=code,
            note=overridden or note,
            overridden=bool(overridden),
            conditions=[c.as_dict() for c in conditions],
        )
        audit.record(
            actor=actor,
            action="zones.area_lift",
            obj=area,
            reason=f"{code}: {overridden}" if overridden else code,
            detail={"failing": [c.code for c in conditions if c.met is not True], "note": note},
        )
        _withdraw_pending_successors(actor, area, at)
    return area


def _withdraw_pending_successors(actor, area: ControlArea, at: dt.datetime) -> None:
    for pending in area.successors.filter(status=AreaStatus.PROPOSED):
        _set_status(pending, AreaStatus.PROPOSED, AreaStatus.WITHDRAWN, status_reason=ReasonCode.SUPERSEDED)
        _event(
            pending,
            EventKind.WITHDRAWN,
            actor=actor,
            at=at,
            from_status=AreaStatus.PROPOSED,
            to_status=AreaStatus.WITHDRAWN,
            reason_code=ReasonCode.SUPERSEDED,
        )
        audit.record(actor=actor, action="zones.area_withdraw", obj=pending, reason=ReasonCode.SUPERSEDED)


def control_area_downgrade(
    *, actor, area: ControlArea, note: str = "", override_reason: str = "", at: dt.datetime | None = None
) -> ControlArea:
    """Downgrade ``area`` to the tier its rule names (9th edition: high → medium) at ``at``.

    Creates and activates the successor area (same places, reason ``downgrade``) and ends ``area``
    as downgraded; a pending downgrade proposal is used when there is one. Conditions as for
    :func:`control_area_lift` (ConditionsNotMet unless overridden). Raises ValidationError when the
    tier has no downgrade (lift it instead). Returns the successor.
    """
    at = _now(at)
    _require(actor, Capability.MANAGE_ZONES, area.path)
    if area.status != AreaStatus.ACTIVE:
        raise StatusConflict(
            _("%(name)s is %(status)s, not active") % {"name": area.name, "status": area.get_status_display()},
            code="status_conflict",
        )
    rule = selectors.lift_rule_for(area)
    if rule is None or rule.to_tier_id is None:
        raise ValidationError({"tier": _("a %(tier)s area has no downgrade: lift it instead") % {"tier": area.tier}})
    with transaction.atomic():
        successor = area.successors.filter(status=AreaStatus.PROPOSED, reason=AreaReason.DOWNGRADE).first()
        if successor is None:
            successor = _create_area(
                actor=actor,
                operation=area.operation,
                tier=rule.to_tier,
                nodes=[n.division for n in area.nodes.select_related("division")],
                reason=AreaReason.DOWNGRADE,
                reason_code=ReasonCode.DECLARED,
                at=at,
                infection=area.infection,
                predecessor=area,
            )
        return control_area_approve(
            actor=actor, area=successor, effective_from=at, note=note, override_reason=override_reason
        )


def control_area_upgrade_propose(
    *, actor, area: ControlArea, infection: Infection | None = None, at: dt.datetime | None = None
) -> ControlArea:
    """Propose turning the whole of ``area`` into its tier's ``upgrade_to`` tier after a positive
    inside (8th edition: controlled → sealed, domain.md §2). Idempotent: returns the pending upgrade
    proposal when there is one. Raises PermissionDenied (nothing written) unless ``actor`` (None = the
    system, e.g. the tick) may manage zones at the area (MANAGE_ZONES at ``area.path``);
    ValidationError when the tier has no upgrade; StatusConflict when the area is not active."""
    _require(actor, Capability.MANAGE_ZONES, area.path)
    return _upgrade_propose(actor=actor, area=area, infection=infection, at=at)


def _upgrade_propose(
    *, actor, area: ControlArea, infection: Infection | None = None, at: dt.datetime | None = None
) -> ControlArea:
    """:func:`control_area_upgrade_propose` without its permission check: for :func:`infection_record`,
    whose caller was checked at the residence, the upgrade of an area holding it being a consequence
    of the infection (as the proposals of :func:`areas_propose_for_infection` are)."""
    at = _now(at)
    if area.tier.upgrade_to_id is None:
        raise ValidationError({"tier": _("a %(tier)s area has no upgrade") % {"tier": area.tier}})
    if area.status != AreaStatus.ACTIVE:
        raise StatusConflict(_("%(name)s is not active") % {"name": area.name}, code="status_conflict")
    with transaction.atomic():
        ControlArea.objects.select_for_update().filter(pk=area.pk).first()
        pending = area.successors.filter(status=AreaStatus.PROPOSED, reason=AreaReason.UPGRADE).first()
        if pending is not None:
            return pending
        return _create_area(
            actor=actor,
            operation=area.operation,
            tier=area.tier.upgrade_to,
            nodes=[n.division for n in area.nodes.select_related("division")],
            reason=AreaReason.UPGRADE,
            reason_code=ReasonCode.POSITIVE_INSIDE,
            at=at,
            infection=infection or area.infection,
            predecessor=area,
        )


EVIDENCE_PEOPLE_MAX = 1_000_000
"""The most people one manual evidence record may count (a whole-area round of a district is well
below it). Rule: new-user trial 15's ``people=99999999999999999999`` (a 500 OverflowError) and
``2147483648`` (stored)."""


def _evidence_day_error(operation: Operation, kind: str, day: dt.date | None) -> str | None:
    """Why ``day`` cannot be the day of manual evidence in ``operation`` (translated), or None: a
    round (``kind="round"``) before the operation started, a last exposure (``"contacts"``) more than
    :data:`INFECTION_LOOKBACK_DAYS` before it (the infections it follows are bound the same way).
    Rule: new-user trial 15's contacts evidence on “1900-01-01”."""
    if day is None:
        return None
    start = operation.started_on
    if kind == EvidenceKind.ROUND and day < start:
        return _("“%(value)s” is before the operation started (%(start)s)") % {
            "value": day.isoformat(),
            "start": start.isoformat(),
        }
    if kind == EvidenceKind.CONTACTS and day < start - dt.timedelta(days=INFECTION_LOOKBACK_DAYS):
        return _("“%(value)s” is more than %(days)s days before the operation started (%(start)s): check the year") % {
            "value": day.isoformat(),
            "days": INFECTION_LOOKBACK_DAYS,
            "start": start.isoformat(),
        }
    return None


def manual_evidence_add(
    *,
    actor,
    area: ControlArea,
    kind: str,
    all_negative: bool,
    reason: str,
    day: dt.date | None = None,
    people: int | None = None,
) -> ManualEvidence:
    """Record evidence by hand for ``area``: a whole-area round (``kind="round"``, its ``day`` and
    result) or the close contacts (``kind="contacts"``: ``day`` of the last exposure, or None with
    ``people=0`` when none were traced). ``reason`` says why it is trusted (required, no control or
    invisible characters). Raises ValidationError naming the field and value (a day in the future or
    too early, :func:`_evidence_day_error`; ``people`` outside 0..:data:`EVIDENCE_PEOPLE_MAX`);
    PermissionDenied without MANAGE_ZONES."""
    errors = {}
    reason = (reason or "").strip()
    if kind not in EvidenceKind.values:
        errors["kind"] = _("unknown evidence kind “%(value)s”") % {"value": kind}
    if problem := _reason_problem(reason):
        errors["reason"] = problem
    today = selectors.local_day()
    if error := future_day_error(day, today=today):
        errors["day"] = error
    if kind == EvidenceKind.ROUND and day is None:
        errors["day"] = _("a round needs its day")
    if kind == EvidenceKind.CONTACTS and day is None and people not in (0, None):
        errors["day"] = _("give the last exposure day of the %(n)s contacts") % {"n": people}
    if "day" not in errors and (error := _evidence_day_error(area.operation, kind, day)):
        errors["day"] = error
    if people is not None and not 0 <= people <= EVIDENCE_PEOPLE_MAX:
        errors["people"] = _("%(value)s is outside 0..%(max)s") % {"value": people, "max": EVIDENCE_PEOPLE_MAX}
    if area.status != AreaStatus.ACTIVE:
        errors["area"] = _("%(name)s is not active") % {"name": area.name}
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.MANAGE_ZONES, area.path)
    if kind == EvidenceKind.CONTACTS and day is None:
        people = 0
    with transaction.atomic():
        item = ManualEvidence.objects.create(
            area=area,
            path=area.path,
            kind=kind,
            day=day,
            all_negative=bool(all_negative),
            people=people,
            reason=reason,
            entered_by=_actor_or_none(actor),
        )
        _event(area, EventKind.EVIDENCE, actor=actor, at=timezone.now(), reason_code=ReasonCode.EVIDENCE, note=reason)
        audit.record(
            actor=actor,
            action="zones.evidence_add",
            obj=area,
            reason=reason,
            detail={"kind": kind, "day": str(day), "all_negative": bool(all_negative), "people": people},
        )
        area_clocks_refresh(areas=[area])
    return item


# --------------------------------------------------------------------------------------------- infections


@dataclass
class PlaceInput:
    """A workplace or place visited: the division node, the kind (PlaceKind), an optional day."""

    division: Division
    kind: str = PlaceKind.VISITED
    visited_on: dt.date | None = None


@dataclass
class InfectionResult:
    """What :func:`infection_record` did: the ``infection``, the areas it proposed (new areas and
    upgrades), and the active areas whose clock it restarted."""

    infection: Infection
    proposals: list[ControlArea] = field(default_factory=list)
    restarted: list[ControlArea] = field(default_factory=list)


INFECTION_LOOKBACK_DAYS = 30
"""How far before its operation started an infection's symptom onset or positive sample may lie (days
before ``Operation.started_on``). An older day is a typo (“2002-03-26” for “2022-03-26”): the contact
window that follows from it (domain.md §3: from 2 days before onset or sampling) and the areas it
implies only matter around the outbreak the operation answers."""

INFECTION_NOTE_MAX = 2000
"""The longest note kept with an infection (characters)."""


def infection_record(
    *,
    actor,
    operation: Operation,
    onset_on: dt.date | None = None,
    positive_sample_on: dt.date | None = None,
    resident=None,
    household=None,
    residence: Division | None = None,
    person_name: str = "",
    places: Sequence[PlaceInput] = (),
    note: str = "",
    propose: bool = True,
) -> InfectionResult:
    """Enter an infection and react to it (issue 5 §3-§4).

    The person is a ``resident`` (their household gives the place of residence) or a non-resident
    ``person_name`` with a ``household`` or a ``residence`` node (community or below). Then: every
    active area containing the residence restarts its clock; an area whose tier has an upgrade
    (controlled → sealed) gets an upgrade proposal; with ``propose`` the areas the rule set implies
    are proposed (:func:`areas_propose_for_infection`). Raises ValidationError naming the field and
    value (no date, a date in the future or more than :data:`INFECTION_LOOKBACK_DAYS` before the
    operation started, a note longer
    than :data:`INFECTION_NOTE_MAX` characters, a place outside the district, ...); PermissionDenied
    without MANAGE_ZONES at the residence.
    """
    errors: dict[str, str | ValidationError] = {}
    today = selectors.local_day()
    if operation.status != OperationStatus.OPEN:
        errors["operation"] = _("operation %(op)s is closed") % {"op": operation}
    if onset_on is None and positive_sample_on is None:
        errors["onset_on"] = _("give the onset day or the positive-sample day")
    for name, day in (("onset_on", onset_on), ("positive_sample_on", positive_sample_on)):
        if error := future_day_error(day, today=today):
            errors[name] = error
        elif day is not None and day < operation.started_on - dt.timedelta(days=INFECTION_LOOKBACK_DAYS):
            errors[name] = _(
                "“%(value)s” is more than %(days)s days before the operation started (%(start)s): check the year"
            ) % {"value": day.isoformat(), "days": INFECTION_LOOKBACK_DAYS, "start": operation.started_on.isoformat()}
    if len(note or "") > INFECTION_NOTE_MAX:
        errors["note"] = _("the note has %(n)s characters; at most %(max)s are kept") % {
            "n": len(note),
            "max": INFECTION_NOTE_MAX,
        }
    if resident is not None:
        household = resident.household
        person_name = resident.name
    if household is not None:
        residence = Division.objects.get(code=household.path)
    person_name = " ".join((person_name or "").split())
    if not person_name:
        errors["person_name"] = _("name the person (or choose the resident)")
    elif problem := control_character_problem(person_name, multiline=False):
        errors["person_name"] = problem
    if "note" not in errors and (problem := control_character_problem(note or "")):
        errors["note"] = problem
    if resident is not None and (
        earlier := Infection.objects.filter(operation=operation, resident=resident).order_by("id").first()
    ):
        errors["resident"] = _(
            "%(name)s (resident %(id)s) is already recorded as infection #%(infection)s of this operation"
        ) % {"name": resident.name, "id": resident.pk, "infection": earlier.pk}
    if residence is None:
        errors["residence"] = _("give the place of residence (a household or a division node)")
    else:
        if not residence.code.startswith(operation.district.code):
            errors["residence"] = _("%(node)s is outside the district %(d)s") % {
                "node": residence,
                "d": operation.district,
            }
        elif residence.level < Level.COMMUNITY:
            errors["residence"] = _("%(node)s is too wide: give a community/village or below") % {"node": residence}
    dates = [day for day in (onset_on, positive_sample_on) if day is not None]
    window_start = min(dates) - dt.timedelta(days=operation.rule_set.contact_window_days) if dates else None
    for i, place in enumerate(places, start=1):
        if place.visited_on is not None and window_start is not None and place.visited_on < window_start:
            errors[f"places.{i}.visited_on"] = _("“%(day)s” is before the contact window (from %(start)s)") % {
                "day": place.visited_on,
                "start": window_start,
            }
        if place.kind not in PlaceKind.values:
            errors[f"places.{i}.kind"] = _("unknown kind “%(value)s”") % {"value": place.kind}
        if not place.division.code.startswith(operation.district.code):
            errors[f"places.{i}"] = _("%(node)s is outside the district") % {"node": place.division}
        elif place.division.level < Level.STREET:
            errors[f"places.{i}"] = _("%(node)s is too wide for a place") % {"node": place.division}
        if error := future_day_error(place.visited_on, today=today):
            errors[f"places.{i}.visited_on"] = error
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.MANAGE_ZONES, residence.code, what=_("record infections"))
    detected = positive_sample_on or onset_on
    with transaction.atomic():
        infection = Infection.objects.create(
            operation=operation,
            resident=resident,
            person_name=person_name,
            onset_on=onset_on,
            positive_sample_on=positive_sample_on,
            detected_on=detected,
            residence=residence,
            household=household,
            path=residence.code,
            note=note,
            recorded_by=_actor_or_none(actor),
        )
        InfectionPlace.objects.bulk_create(
            [
                InfectionPlace(
                    infection=infection, division=p.division, path=p.division.code, kind=p.kind, visited_on=p.visited_on
                )
                for p in {(p.division.pk, p.kind): p for p in places}.values()
            ]
        )
        audit.record(
            actor=actor,
            action="zones.infection_record",
            obj=infection,
            detail={"detected_on": str(detected), "places": [p.division.code for p in places]},
        )
        result = InfectionResult(infection=infection)
        containing = _areas_containing(operation, residence.code)
        result.restarted = [a for a in containing if a.status == AreaStatus.ACTIVE]
        for area in result.restarted:
            if area.tier.upgrade_to_id:
                result.proposals.append(_upgrade_propose(actor=actor, area=area, infection=infection))
        if result.restarted:
            area_clocks_refresh(areas=result.restarted)
        if propose:
            result.proposals.extend(areas_propose_for_infection(actor=actor, infection=infection))
    return result


def _areas_containing(operation: Operation, code: str, statuses=(AreaStatus.ACTIVE,)) -> list[ControlArea]:
    prefixes = [code[:n] for n in sorted(CODE_LENGTHS.values()) if n <= len(code)]
    return list(
        ControlArea.objects.filter(operation=operation, status__in=statuses, nodes__code__in=prefixes)
        .select_related("tier", "operation")
        .distinct()
    )


def _covered(operation: Operation, code: str, rank: int, extra: Sequence[tuple[ControlArea, list[str]]]) -> bool:
    """True when ``code`` lies in an active or proposed area of the operation at least as strict as
    ``rank``, or in one of ``extra`` (areas proposed in this call with their codes)."""
    prefixes = {code[:n] for n in CODE_LENGTHS.values() if n <= len(code)}
    for area, codes in extra:
        if area.tier.rank <= rank and prefixes & set(codes):
            return True
    return ControlArea.objects.filter(
        operation=operation,
        status__in=(AreaStatus.ACTIVE, AreaStatus.PROPOSED),
        tier__rank__lte=rank,
        nodes__code__in=prefixes,
    ).exists()


def areas_propose_for_infection(*, actor, infection: Infection) -> list[ControlArea]:
    """Propose the areas the operation's rule set implies for ``infection`` (issue 5 §4).

    For each tier with a ``proposal_level``: the residence's ancestor at that level (the residence
    itself when it is coarser), e.g. 8th-edition era: sealed = the residence compound, controlled =
    its community, precaution = the district. Tiers with ``propose_for_places`` also take the
    workplaces and places visited. A place already in an active or proposed area at least as strict
    is skipped (no duplicates; upgrades count). Returns the new proposals (status ``proposed``).
    """
    operation = infection.operation
    tiers = selectors.tiers_of(operation.rule_set)
    residence = infection.residence
    place_divisions = [p.division for p in infection.places.select_related("division")]
    wanted_codes: dict[int, list[str]] = {}
    for tier in tiers:
        codes = []
        if tier.proposal_level:
            length = CODE_LENGTHS[Level(tier.proposal_level)]
            codes.append(residence.code[:length] if len(residence.code) >= length else residence.code)
        if tier.propose_for_places:
            codes.extend(d.code for d in place_divisions)
        wanted_codes[tier.pk] = codes
    by_code = Division.objects.in_bulk({c for codes in wanted_codes.values() for c in codes}, field_name="code")
    created: list[ControlArea] = []
    extra: list[tuple[ControlArea, list[str]]] = []
    now = timezone.now()
    with transaction.atomic():
        for tier in tiers:
            nodes = []
            for code in wanted_codes[tier.pk]:
                if code in by_code and not _covered(operation, code, tier.rank, extra):
                    nodes.append(by_code[code])
            # Keep the widest of nested places (a visited compound inside the proposed community).
            nodes = [n for n in nodes if not any(o is not n and n.code.startswith(o.code) for o in nodes)]
            nodes = list({n.pk: n for n in nodes}.values())
            if not nodes:
                continue
            area = _create_area(
                actor=actor,
                operation=operation,
                tier=tier,
                nodes=sorted(nodes, key=lambda n: n.code),
                reason=AreaReason.BASELINE if tier.is_baseline else AreaReason.INFECTION,
                reason_code=ReasonCode.PROPOSED_FROM_INFECTION,
                at=now,
                infection=infection,
            )
            created.append(area)
            extra.append((area, [n.code for n in nodes]))
    return created


# --------------------------------------------------------------------------------------------- clocks


def area_clocks_refresh(*, areas: Iterable[ControlArea] | None = None, on=None) -> int:
    """Recompute the stored clock (last infection, earliest change, ready) of ``areas`` (default:
    every active area). A derived cache, so not audited per row. Returns the number written."""
    if areas is None:
        areas = ControlArea.objects.filter(status=AreaStatus.ACTIVE).select_related("tier", "operation")
    at = selectors.instant(on)
    changed = []
    for area in areas:
        clock = selectors.area_clock(area, on=at)
        area.last_infection_on = clock.last_infection_on
        area.earliest_change_on = clock.earliest_on
        area.change_ready = clock.ready
        area.clock_computed_at = at
        changed.append(area)
    ControlArea.objects.bulk_update(
        changed, ["last_infection_on", "earliest_change_on", "change_ready", "clock_computed_at"], batch_size=500
    )
    return len(changed)


@dataclass
class TickReport:
    """What :func:`zone_tick` did: clocks ``refreshed``; proposals raised (``downgrades``,
    ``upgrades``); lifts marked due (``lifts_due``) and due marks ``cleared``."""

    refreshed: int = 0
    downgrades: int = 0
    upgrades: int = 0
    lifts_due: int = 0
    cleared: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.downgrades or self.upgrades or self.lifts_due or self.cleared)


def zone_tick(*, actor=None, on=None) -> TickReport:
    """Recompute every active area's clock and raise what is due (idempotent; run by cron).

    - ready to downgrade → a downgrade proposal (once; the commander approves it);
    - ready to lift → ``lift_due_since`` set (once) with a ``lift_due`` history entry; cleared when
      the conditions stop holding (a new infection);
    - an active area with an upgrade tier and an infection inside detected since it began → an
      upgrade proposal (once).
    Never changes a status on its own: every change stays a commander's decision.
    """
    at = selectors.instant(on)
    report = TickReport()
    areas = list(
        ControlArea.objects.filter(status=AreaStatus.ACTIVE, operation__status=OperationStatus.OPEN).select_related(
            "tier", "operation", "operation__district"
        )
    )
    for area in areas:
        with transaction.atomic():
            clock = selectors.area_clock(area, on=at)
            ControlArea.objects.filter(pk=area.pk).update(
                last_infection_on=clock.last_infection_on,
                earliest_change_on=clock.earliest_on,
                change_ready=clock.ready,
                clock_computed_at=at,
            )
            report.refreshed += 1
            if area.tier.upgrade_to_id and area.effective_from:
                positive = (
                    selectors.area_infections(area, until=clock.today)
                    .filter(detected_on__gte=selectors.local_day(area.effective_from))
                    .exclude(pk=area.infection_id or 0)
                    .first()
                )
                if (
                    positive is not None
                    and not area.successors.filter(reason=AreaReason.UPGRADE, infection=positive).exists()
                ):
                    control_area_upgrade_propose(actor=actor, area=area, infection=positive, at=at)
                    report.upgrades += 1
            if clock.ready and clock.is_downgrade:
                raised = area.successors.filter(reason=AreaReason.DOWNGRADE).filter(
                    Q(status=AreaStatus.PROPOSED)
                    | Q(status=AreaStatus.WITHDRAWN, declared_at__gte=selectors.start_of_day(clock.base_on))
                )
                if not raised.exists():
                    _create_area(
                        actor=actor,
                        operation=area.operation,
                        tier=clock.target_tier,
                        nodes=[n.division for n in area.nodes.select_related("division")],
                        reason=AreaReason.DOWNGRADE,
                        reason_code=ReasonCode.DUE,
                        at=at,
                        infection=area.infection,
                        predecessor=area,
                    )
                    report.downgrades += 1
            elif clock.ready:
                if ControlArea.objects.filter(pk=area.pk, lift_due_since__isnull=True).update(lift_due_since=at):
                    _event(
                        area,
                        EventKind.LIFT_DUE,
                        actor=actor,
                        at=at,
                        reason_code=ReasonCode.DUE,
                        conditions=[c.as_dict() for c in clock.conditions],
                    )
                    report.lifts_due += 1
            elif area.lift_due_since is not None and ControlArea.objects.filter(
                pk=area.pk, lift_due_since__isnull=False
            ).update(lift_due_since=None):
                report.cleared += 1
    if report.changed:
        audit.record(
            actor=actor,
            action="zones.tick",
            object_type="zones.controlarea",
            detail={
                "refreshed": report.refreshed,
                "downgrades": report.downgrades,
                "upgrades": report.upgrades,
                "lifts_due": report.lifts_due,
                "cleared": report.cleared,
            },
        )
    return report
