"""Household QR tokens (the link printed on a household's sticker): issue, revoke, and one for every
household of a sticker sheet."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.assistance.models import (
    HouseholdToken,
)
from lianfang.assistance.services.base import (
    _new_token,
    _now,
    _user,
)
from lianfang.core import audit, pii
from lianfang.registry.models import Household


def household_token_issue(*, actor, household: Household, at=None) -> tuple[HouseholdToken, str]:
    """Issue a new QR token for ``household`` and return ``(row, plain token)``; the household's previous
    live token (if any) is revoked with reason ``reissued``. Print the plain token in the QR link
    (``/assistance/r/<token>/``); it can be read again later with ``row.token_plain()``.
    Requires a role over the household's division with HANDLE_REQUESTS or EDIT_REGISTRY."""
    now = _now(at)
    _require_token_manager(actor, household)
    with transaction.atomic():
        HouseholdToken.objects.filter(household=household, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=_user(actor), revoke_reason="reissued"
        )
        row, plain = _mint(household, actor, now)
        audit.record(actor=actor, action="token_issue", obj=household, detail={"hint": row.hint})
    return row, plain


def _mint(household: Household, actor, now) -> tuple[HouseholdToken, str]:
    plain = _new_token()
    row = HouseholdToken.objects.create(
        household=household,
        path=household.path,
        token_hash=pii.lookup_hash("household_token", plain),
        token_enc=pii.encrypt(plain),
        hint=plain[-4:],
        issued_at=now,
        issued_by=_user(actor),
    )
    return row, plain


def _require_token_manager(actor, household: Household) -> None:
    if actor is None:
        return  # system work (management commands)
    if not Household.objects.visible_to(actor).filter(pk=household.pk).exists() or not (
        can(actor, Capability.HANDLE_REQUESTS, household.path) or can(actor, Capability.EDIT_REGISTRY, household.path)
    ):
        raise PermissionDenied(_("You may not manage the QR link of household %s.") % household.pk)


def household_token_revoke(*, actor, household: Household, reason: str, at=None) -> int:
    """Revoke the household's live QR token (a lost or photographed sticker); returns 1, or 0 when it
    had none. The old link stops working at once. ``reason`` is required."""
    now = _now(at)
    _require_token_manager(actor, household)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("a reason is required")})
    with transaction.atomic():
        count = HouseholdToken.objects.filter(household=household, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=_user(actor), revoke_reason=reason.strip()[:200]
        )
        if count:
            audit.record(actor=actor, action="token_revoke", obj=household, reason=reason.strip())
    return count


def household_tokens_ensure(*, actor, households, at=None) -> dict[int, str]:
    """``{household_id: plain token}`` for printing QR stickers: the live token of each household, one
    minted where it has none (audited once per call). Requires the same rights as issuing."""
    now = _now(at)
    households = list(households)
    for household in households:
        _require_token_manager(actor, household)
    live = {
        t.household_id: t.token_plain()
        for t in HouseholdToken.objects.filter(household__in=households, revoked_at__isnull=True)
    }
    minted = []
    with transaction.atomic():
        for household in households:
            if household.pk not in live:
                _row, live[household.pk] = _mint(household, actor, now)
                minted.append(household)
        if minted:
            audit.record_many(actor=actor, action="token_issue", objects=minted)
    return live
