"""Supply distribution (物资配送): a plan with one checklist line per household, tenants found at the
door, volunteers' ticks, the household's confirmation of receipt, closing a plan."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance import rules
from lianfang.assistance.models import (
    DeliveryStatus,
    PlanStatus,
    SupplyDelivery,
    SupplyPlan,
)
from lianfang.assistance.services.base import (
    StatusConflict,
    _now,
    _user,
)
from lianfang.core import audit
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import Household, ResidenceStatus, Resident
from lianfang.registry.services import Placement, household_address


def _headcounts(household_ids) -> dict[int, int]:
    from django.db.models import Count  # noqa: PLC0415

    rows = (
        Resident.objects.filter(household_id__in=household_ids, is_deceased=False)
        .exclude(residence_status=ResidenceStatus.AWAY)
        .values("household_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["household_id"]: r["n"] for r in rows}


def supply_plan_create(
    *,
    actor,
    division: Division,
    day: dt.date,
    name: str,
    contents: str = "",
    pack_sizes: list[dict] | None = None,
    at=None,
) -> SupplyPlan:
    """Plan a supply distribution to every household under ``division`` (a compound, building, unit or
    community) on ``day``: one checklist line per household with its headcount (living residents not
    away, registered or not) and the pack for that headcount (``pack_sizes``, default: the rule set's).
    Unregistered tenants found at the door are added with :func:`supply_delivery_add_tenant`.
    Requires HANDLE_REQUESTS over ``division``. ValidationError names bad fields."""
    now = _now(at)
    if not Division.objects.visible_to(actor).filter(pk=division.pk).exists() or not can(
        actor, Capability.HANDLE_REQUESTS, division.code
    ):
        raise PermissionDenied(_("You may not plan supplies for %s.") % division)
    errors: dict[str, str] = {}
    if division.level < Level.COMMUNITY:
        errors["division"] = _("a plan covers a community or a part of one, not %s") % division
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("this field is required")
    if not isinstance(day, dt.date):
        errors["day"] = _("a date is required, got “%s”") % (day,)
    if pack_sizes is None:
        pack_sizes = rules.rule_set_in_force(division.district_id, timezone.localdate(now)).pack_sizes
    try:
        packs = rules.validate_pack_sizes(pack_sizes)
    except ValueError as exc:
        errors["pack_sizes"] = str(exc)
    if errors:
        raise ValidationError(errors)
    households = list(
        Household.objects.within(division.code).values_list("pk", "path", "building_id", "room", "address")
    )
    counts = _headcounts([h[0] for h in households])
    with transaction.atomic():
        plan = SupplyPlan.objects.create(
            name=name,
            district_id=division.district_id,
            division=division,
            path=division.code,
            day=day,
            contents=contents.strip(),
            pack_sizes=packs,
            created_by=actor,
        )
        SupplyDelivery.objects.bulk_create(
            [
                SupplyDelivery(
                    plan=plan,
                    household_id=pk,
                    building_id=building_id,
                    path=path,
                    address=address,
                    room=room,
                    headcount=counts.get(pk, 0),
                    pack=rules.pack_for(packs, counts.get(pk, 0)),
                )
                for pk, path, building_id, room, address in households
            ],
            batch_size=500,
        )
        audit.record(actor=actor, action="create", obj=plan, detail={"households": len(households), "day": str(day)})
    return plan


def supply_delivery_add_tenant(
    *, actor, plan: SupplyPlan, building: Division, room: str, headcount: int, note: str = ""
) -> SupplyDelivery:
    """Add an unregistered tenant household found at the door to ``plan`` (building and room as told).
    Needs FIELD_WORK or HANDLE_REQUESTS over the building; the building must be inside the plan's area."""
    _require_delivery_worker(actor, plan.path)
    errors: dict[str, str] = {}
    if building is None or (not building.code.startswith(plan.path) and not plan.path.startswith(building.code)):
        errors["building"] = _("%(building)s is outside the plan's area %(area)s") % {
            "building": building,
            "area": plan.path,
        }
    room = (room or "").strip()
    if not room:
        errors["room"] = _("this field is required")
    if not isinstance(headcount, int) or not 1 <= headcount <= 30:
        errors["headcount"] = _("between 1 and 30 people, got “%s”") % (headcount,)
    if plan.status != PlanStatus.ACTIVE:
        errors["plan"] = _("the plan is closed")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        delivery = SupplyDelivery.objects.create(
            plan=plan,
            building=building if building.level >= Level.BUILDING else None,
            path=building.code if building.code.startswith(plan.path) else plan.path,
            address=household_address(Placement.of(building), room),
            room=room,
            headcount=headcount,
            pack=rules.pack_for(plan.pack_sizes, headcount),
            unregistered=True,
            note=note.strip()[:200],
        )
        audit.record(actor=actor, action="create", obj=delivery, detail={"plan": plan.pk, "unregistered": True})
    return delivery


def _require_delivery_worker(actor, path: str) -> None:
    if not (can(actor, Capability.FIELD_WORK, path) or can(actor, Capability.HANDLE_REQUESTS, path)):
        raise PermissionDenied(_("You may not record deliveries here."))


def supply_delivery_mark(*, actor, delivery: SupplyDelivery, status: str, note: str = "", at=None) -> SupplyDelivery:
    """A volunteer ticks a checklist line: pending/failed → delivered, or pending → failed (with a
    ``note`` saying why). Conditional update; StatusConflict when it changed meanwhile."""
    now = _now(at)
    if not SupplyDelivery.objects.visible_to(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied(_("You may not record deliveries here."))
    _require_delivery_worker(actor, delivery.path)
    allowed = {
        DeliveryStatus.DELIVERED: [DeliveryStatus.PENDING, DeliveryStatus.FAILED],
        DeliveryStatus.FAILED: [DeliveryStatus.PENDING],
    }
    if status not in allowed:
        raise ValidationError({"status": _("unknown status “%s”") % (status,)})
    if status == DeliveryStatus.FAILED and not (note or "").strip():
        raise ValidationError({"note": _("say why it could not be delivered")})
    with transaction.atomic():
        if (
            SupplyDelivery.objects.filter(
                pk=delivery.pk, status__in=allowed[status], plan__status=PlanStatus.ACTIVE
            ).update(status=status, status_at=now, status_by=actor, note=(note or delivery.note).strip()[:200])
            != 1
        ):
            raise StatusConflict(_("This line changed meanwhile, or the plan is closed; reload it."))
        audit.record(actor=actor, action="status", obj=delivery, reason=status)
    delivery.refresh_from_db()
    return delivery


def supply_delivery_confirm(*, actor, delivery: SupplyDelivery, at=None) -> SupplyDelivery:
    """The household confirms receipt of a delivered pack (``actor`` None: through its QR link, checked
    by the view; staff: FIELD_WORK or HANDLE_REQUESTS). Once; StatusConflict when not delivered yet."""
    now = _now(at)
    if _user(actor) is not None:
        _require_delivery_worker(actor, delivery.path)
    with transaction.atomic():
        if (
            SupplyDelivery.objects.filter(
                pk=delivery.pk, status=DeliveryStatus.DELIVERED, confirmed_at__isnull=True
            ).update(confirmed_at=now)
            != 1
        ):
            raise StatusConflict(_("Only a delivered pack can be confirmed, once."))
        audit.record(
            actor=actor, action="confirm", obj=delivery, detail={"via": "staff" if _user(actor) else "household"}
        )
    delivery.refresh_from_db()
    return delivery


def supply_plan_close(*, actor, plan: SupplyPlan) -> SupplyPlan:
    """Close a plan at the end of its day; its undelivered lines stay on record (selectors.undelivered)."""
    if not can(actor, Capability.HANDLE_REQUESTS, plan.path):
        raise PermissionDenied(_("You may not close this plan."))
    with transaction.atomic():
        if SupplyPlan.objects.filter(pk=plan.pk, status=PlanStatus.ACTIVE).update(status=PlanStatus.CLOSED) != 1:
            raise StatusConflict(_("The plan is already closed."))
        audit.record(actor=actor, action="status", obj=plan, reason="closed")
    plan.refresh_from_db()
    return plan
