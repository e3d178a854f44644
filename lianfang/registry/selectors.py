"""Reads over the registry that need grouping or joins (counts per division, search)."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Count, Q
from django.db.models.functions import Substr

from lianfang.core import pii
from lianfang.registry.models import VULNERABILITY_FLAGS, Household, Resident


def counts_by_child(*, user, parent_code: str, child_code_length: int) -> dict[str, dict[str, int]]:
    """Households, residents and vulnerable residents per child of ``parent_code``, within ``user``'s scope.

    Returns ``{child_code: {"households": n, "residents": n, "vulnerable": n}}``; two grouped queries
    (one per table) whatever the number of children. ``child_code_length`` is the children's code length.
    """
    result: dict[str, dict[str, int]] = {}
    households = (
        Household.objects.visible_to(user)
        .within(parent_code)
        .annotate(child=Substr("path", 1, child_code_length))
        .values("child")
        .annotate(n=Count("id"))
    )
    for row in households:
        result.setdefault(row["child"], {"households": 0, "residents": 0, "vulnerable": 0})["households"] = row["n"]
    vulnerable = Q()
    for name, _label in VULNERABILITY_FLAGS:
        vulnerable |= Q(**{name: True})
    residents = (
        Resident.objects.visible_to(user)
        .within(parent_code)
        .annotate(child=Substr("path", 1, child_code_length))
        .values("child")
        .annotate(n=Count("id"), v=Count("id", filter=vulnerable))
    )
    for row in residents:
        entry = result.setdefault(row["child"], {"households": 0, "residents": 0, "vulnerable": 0})
        entry["residents"], entry["vulnerable"] = row["n"], row["v"]
    return result


def with_control_tiers(households) -> list[Household]:
    """``households`` (any iterable, e.g. a page) as a list, each with ``control_tier``: the strictest
    tier (zones.RuleTier: 封控/管控/防范…) of the areas in force now covering it, None outside every
    area. A constant number of queries whatever the number of households
    (zones.selectors.tier_of_households: three at most). Raises nothing."""
    from lianfang.zones.selectors import tier_of_households  # noqa: PLC0415 (zones reads the registry)

    rows = list(households)
    tiers = tier_of_households([h.pk for h in rows])
    for h in rows:
        h.control_tier = tiers.get(h.pk)
    return rows


def flag_totals(*, user, code: str) -> list[tuple[str, str, int]]:
    """``[(flag, label, residents with it)]`` under division ``code`` in ``user``'s scope (one query)."""
    qs = Resident.objects.visible_to(user).within(code)
    agg = qs.aggregate(**{name: Count("id", filter=Q(**{name: True})) for name, _ in VULNERABILITY_FLAGS})
    return [(name, str(label), int(agg[name] or 0)) for name, label in VULNERABILITY_FLAGS]


_ID_LIKE = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")


def search_residents(*, user, query: str):
    """Residents in ``user``'s scope matching ``query``.

    Interprets the query as: a full 18/15-character ID number (exact, via the keyed hash); an
    phone number as core.pii.normalize_phone reads it (``138 1234 5678``, ``+86-138-1234-5678``,
    ``0931-8123456``; exact, via hash); 4 digits or 3 digits + X (last characters of the ID, or the
    phone's last 4); Latin letters (pinyin initials prefix, e.g. ``zs`` for 张三); otherwise a name
    substring. Returns a queryset (unordered beyond the model default).
    """
    text = unicodedata.normalize("NFKC", query).strip()
    base = Resident.objects.visible_to(user).select_related("household")
    if not text:
        return base.none()
    if _ID_LIKE.match(text):
        from lianfang.core import idnumber  # noqa: PLC0415

        try:
            number = idnumber.parse(text).number
        except idnumber.IdNumberError:
            return base.none()
        return base.filter(id_hash=pii.lookup_hash("id", number))
    if pii.PHONE_SHAPE.fullmatch(text) and sum(c.isdigit() for c in text) >= 7:
        try:  # as stored: the same normaliser as the registry's writes (+86, spaces, dashes, fixed lines)
            return base.filter(phone_hash=pii.lookup_hash("phone", pii.normalize_phone(text)))
        except pii.PhoneError:
            pass
    if re.fullmatch(r"\d{4}|\d{3}[Xx]", text):
        last4 = text.upper()
        return base.filter(Q(id_last4=last4) | Q(phone_last4=last4))
    if re.fullmatch(r"[A-Za-z]{1,10}", text):
        return base.filter(name_initials__startswith=text.lower())
    return base.filter(name__contains=text)
