"""Evidence for lifting conditions, from other apps (providers) and from manual records.

A control area lifts only on evidence (domain.md §2: "lifting is computed from data"): its last
whole-area testing round and its close contacts. The screening app knows the rounds and the
field-operations app knows the contacts, so they register *providers* here, from their
``AppConfig.ready``::

    from lianfang.zones import evidence

    def last_round(*, codes, until):
        # codes: tuple of division codes (the area's nodes); until: datetime.date (inclusive)
        ...
        return evidence.RoundEvidence(day=..., all_negative=True, people=1234, source="round #12")

    evidence.register_round_provider(last_round)

- A round provider returns the LAST round on or before ``until`` that covered the whole of
  ``codes`` (every node), or None when it knows of none. ``all_negative`` is None while results are
  pending.
- A contact provider, ``fn(*, codes, infection_ids, until)``, returns the close contacts of the
  given infections (the area's) as a :class:`ContactEvidence`: how many, the LAST exposure day, and
  whether every one has tested negative (None while tests are pending); ``count=0`` means traced
  and none found. None means the provider knows nothing.

Without any provider and without a manual record the condition is *unknown*, which counts as not
met. A commander may enter a :class:`~lianfang.zones.models.ManualEvidence` record (with a reason)
so the feature works before those apps exist; manual records and providers are combined: the
latest round wins (on the same day, a failing one), and contact evidence is merged (counts
summed, the latest exposure, negative only if all are).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

RoundProvider = Callable[..., "RoundEvidence | None"]
ContactProvider = Callable[..., "ContactEvidence | None"]

_round_providers: list[RoundProvider] = []
_contact_providers: list[ContactProvider] = []


@dataclass(frozen=True)
class RoundEvidence:
    """A whole-area testing round: finished on ``day``; ``all_negative`` True/False, None = pending.

    ``people`` tested (optional); ``source`` says where it comes from (shown to commanders).
    """

    day: dt.date
    all_negative: bool | None
    people: int | None = None
    source: str = ""


@dataclass(frozen=True)
class ContactEvidence:
    """The close contacts of an area's infections: ``count``, the ``last_exposure_on`` day (None when
    there are none) and ``all_negative`` (None while tests are pending)."""

    count: int
    last_exposure_on: dt.date | None
    all_negative: bool | None
    source: str = ""


def register_round_provider(provider: RoundProvider) -> None:
    """Register ``provider(*, codes, until) -> RoundEvidence | None``; registering twice is a no-op."""
    if provider not in _round_providers:
        _round_providers.append(provider)


def register_contact_provider(provider: ContactProvider) -> None:
    """Register ``provider(*, codes, infection_ids, until) -> ContactEvidence | None`` (no-op if present)."""
    if provider not in _contact_providers:
        _contact_providers.append(provider)


def unregister(provider) -> None:
    """Remove ``provider`` from both registries (tests; an app being unloaded)."""
    for registry in (_round_providers, _contact_providers):
        if provider in registry:
            registry.remove(provider)


def _worse_first(item: RoundEvidence) -> tuple:
    return (item.day, 0 if item.all_negative is True else 1)


def last_round(*, area, codes: Sequence[str], until: dt.date) -> RoundEvidence | None:
    """The latest whole-area round on or before ``until`` from providers and ``area``'s manual records.

    On the same day a failing or pending round wins over an all-negative one (a conservative read).
    """
    from lianfang.zones.models import EvidenceKind, ManualEvidence  # noqa: PLC0415

    found: list[RoundEvidence] = []
    for provider in list(_round_providers):
        item = provider(codes=tuple(codes), until=until)
        if item is not None and item.day <= until:
            found.append(item)
    manual = (
        ManualEvidence.objects.filter(area=area, kind=EvidenceKind.ROUND, day__lte=until)
        .order_by("-day", "all_negative", "-id")
        .first()
    )
    if manual is not None:
        found.append(
            RoundEvidence(
                day=manual.day, all_negative=manual.all_negative, people=manual.people, source=f"manual #{manual.pk}"
            )
        )
    return max(found, key=_worse_first) if found else None


def contacts(*, area, codes: Sequence[str], infection_ids: Sequence[int], until: dt.date) -> ContactEvidence | None:
    """Merged close-contact evidence from providers and ``area``'s latest manual contacts record."""
    from lianfang.zones.models import EvidenceKind, ManualEvidence  # noqa: PLC0415

    found: list[ContactEvidence] = []
    for provider in list(_contact_providers):
        item = provider(codes=tuple(codes), infection_ids=tuple(infection_ids), until=until)
        if item is not None:
            found.append(item)
    manual = ManualEvidence.objects.filter(area=area, kind=EvidenceKind.CONTACTS).order_by("-entered_at", "-id").first()
    if manual is not None:
        found.append(
            ContactEvidence(
                count=manual.people or 0,
                last_exposure_on=manual.day,
                all_negative=manual.all_negative,
                source=f"manual #{manual.pk}",
            )
        )
    if not found:
        return None
    exposures = [f.last_exposure_on for f in found if f.last_exposure_on is not None]
    negatives = [f.all_negative for f in found if f.count or f.last_exposure_on]
    if any(n is False for n in negatives):
        all_negative = False
    elif any(n is None for n in negatives):
        all_negative = None
    else:
        all_negative = True
    return ContactEvidence(
        count=sum(f.count for f in found),
        last_exposure_on=max(exposures) if exposures else None,
        all_negative=all_negative,
        source=", ".join(f.source for f in found if f.source),
    )
