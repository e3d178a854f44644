"""Pool-size advisor (混采规模建议): Dorfman (1943) two-stage pooling, domain.md §4.

Testing pools of k people at prevalence p costs E(k, p) = 1/k + 1 − (1 − p)^k tests per person (one
test per pool, then k individual retests when the pool is positive, which happens with probability
1 − (1 − p)^k). In this field a retest re-swabs people, so a positive pool also costs k visits and k
temporary isolations: the expected temporary isolations per person are 1 − (1 − p)^k. Pooling of k
stops paying (E ≥ 1) above p = 1 − k^(−1/k). Reference values (domain.md §4): p = 1 % → k = 11
(E = 0.196); 2 % → 8 (0.274); 5 % → 5 (0.426); 0.1 % → 32 (0.063).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

MAX_K = 100


def tests_per_person(k: int, p: float) -> float:
    """E(k, p) = 1/k + 1 − (1 − p)^k; k = 1 is one test per person. Raises ValueError for k < 1 or
    p outside [0, 1]."""
    if k < 1 or not 0.0 <= p <= 1.0:
        raise ValueError(f"need k ≥ 1 and 0 ≤ p ≤ 1, got k={k}, p={p}")
    if k == 1:
        return 1.0
    return 1.0 / k + 1.0 - (1.0 - p) ** k


def pool_positive_probability(k: int, p: float) -> float:
    """P(a pool of k is positive) = 1 − (1 − p)^k."""
    return 1.0 - (1.0 - p) ** k


def optimal_k(p: float, *, max_k: int = MAX_K) -> int:
    """The k in 1..max_k minimising E(k, p) (1 when pooling does not pay)."""
    return min(range(1, max_k + 1), key=lambda k: (tests_per_person(k, p), k))


def break_even_prevalence(k: int) -> float:
    """p above which pooling k people costs more tests than testing singly: 1 − k^(−1/k)."""
    return 1.0 - k ** (-1.0 / k)


@dataclass(frozen=True)
class Option:
    """One pool size at prevalence p, per 1,000 people: expected tests, expected temporary isolations
    (people in positive pools), and whether pooling pays (E < 1)."""

    k: int
    tests_per_1000: float
    isolations_per_1000: float
    pays: bool


def options(p: float, sizes) -> list[Option]:
    """The figures of each pool size in ``sizes`` (e.g. 5, 10, 20) at prevalence ``p``."""
    out = []
    for k in sizes:
        e = tests_per_person(k, p)
        out.append(
            Option(k=k, tests_per_1000=1000 * e, isolations_per_1000=1000 * pool_positive_probability(k, p), pays=e < 1)
        )
    return out


@dataclass(frozen=True)
class Positivity:
    """Recent positivity: ``positives`` people found positive individually (single tubes or
    retests) among ``people`` with a result, over ``days`` days; ``p`` their ratio (None when nobody)."""

    positives: int
    people: int
    days: int

    @property
    def p(self) -> float | None:
        return self.positives / self.people if self.people else None


def recent_positivity(*, user, days: int, at: dt.datetime | None = None) -> Positivity:
    """People with an individual positive result (a positive single or household tube, or a positive
    retest) over people whose sample has a result, for samples taken in the last ``days`` days and
    visible to ``user``. One aggregate query."""
    from lianfang.screening.models import Sample  # noqa: PLC0415
    from lianfang.screening.selectors import scoped  # noqa: PLC0415

    at = at or timezone.now()
    qs = scoped(Sample, user).filter(taken_at__gte=at - dt.timedelta(days=days), tube__status="resulted")
    individual = Q(tube__result="positive") & (Q(tube__capacity=1) | Q(tube__mode="household") | Q(purpose="retest"))
    agg = qs.aggregate(
        people=Count("person_key", filter=~Q(purpose="retest"), distinct=True),
        positives=Count("person_key", filter=individual, distinct=True),
    )
    return Positivity(positives=int(agg["positives"] or 0), people=int(agg["people"] or 0), days=days)
