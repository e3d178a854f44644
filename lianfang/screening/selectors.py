"""Reads over testing rounds: coverage, missed people, progress, overdue results and steps, evidence.

Reads that take ``user`` return only rows ``Model.objects.visible_to(user)`` gives; pass
:data:`SYSTEM` for unscoped reads (the zones evidence provider, management commands, benchmarks),
never from a view. Days are computed in Asia/Shanghai (settings.TIME_ZONE).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Substr, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core.filters import BadQuery, query_scoped_code
from lianfang.core.forms import listing
from lianfang.core.scoping import scope_for, subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.screening.models import (
    FollowUpStatus,
    PoolFollowUpStep,
    ResultValue,
    RoundMember,
    RoundStatus,
    Sample,
    TestingRound,
    Tube,
    TubeStatus,
)
from lianfang.screening.services.base import mask_name, rules

SYSTEM = object()
"""Pass as ``user`` for an unscoped read (never from a view)."""


def scoped(model, user):
    """``model.objects.visible_to(user)``, or every row for :data:`SYSTEM`."""
    return model.objects.all() if user is SYSTEM else model.objects.visible_to(user)


# Conditional counts over RoundMember rows (``removed`` rows are left out before counting).
_NOT_SAMPLED = Q(result="") & Q(exemption="")
COVERAGE_COUNTS = {
    "expected": Count("id"),
    "sampled": Count("id", filter=~Q(result="")),
    "pending": Count("id", filter=Q(result="pending")),
    "negative": Count("id", filter=Q(result="negative")),
    "positive": Count("id", filter=Q(result="positive")),
    "invalid": Count("id", filter=Q(result="invalid")),
    "exempt": Count("id", filter=Q(result="") & ~Q(exemption="")),
    "home_visit_open": Count("id", filter=_NOT_SAMPLED & Q(awaiting_home_visit=True)),
    "missed": Count("id", filter=_NOT_SAMPLED & Q(awaiting_home_visit=False)),
}
COUNT_KEYS = list(COVERAGE_COUNTS)


@dataclass
class CoverageRow:
    """Counts for one place (or responsible person): ``counts`` has every key of COUNT_KEYS.
    ``missed`` means in the round's population, not sampled, not exempt and no home visit open."""

    code: str
    label: str
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))

    @property
    def percent(self) -> int:
        """Whole percent sampled or exempt of the expected."""
        expected = self.counts["expected"]
        done = self.counts["sampled"] + self.counts["exempt"]
        return 100 if not expected else done * 100 // expected


LEVEL_LENGTHS = {"community": 12, "compound": 15, "building": 18}
LEVEL_NAMES = {
    "community": gettext_lazy("community"),
    "compound": gettext_lazy("compound"),
    "building": gettext_lazy("building"),
}
"""The groupings of :data:`LEVEL_LENGTHS` as a reader calls them (社区, 小区, 楼栋)."""


def coverage(
    *, user, round: TestingRound, within: str = "", by: str = "compound"
) -> tuple[list[CoverageRow], CoverageRow]:
    """Coverage of ``round`` per ``by`` (``community``, ``compound`` or ``building``) under division
    ``within`` (default: the round's scope), within ``user``'s scope. Returns ``(rows, totals)``.

    One grouped query over the members plus one for the places' names, whatever the population
    (a city of 4.36 M people grouped by compound: see bench/round_city.py). People living directly in
    a community (no compound) are grouped under the community's code. The totals row is labelled
    with the place it adds up: ``within``, else the round's scope, or — for a reader who sees one
    part of it (a community's staff in a street's round) — that part, never a street they cannot see
    under an empty label.
    """
    length = LEVEL_LENGTHS[by]
    qs = scoped(RoundMember, user).filter(round=round, removed=False)
    if within:
        qs = qs.filter(subtree_q("path", within))
    grouped = qs.annotate(place=Substr("path", 1, length)).values("place").annotate(**COVERAGE_COUNTS).order_by("place")
    rows = [CoverageRow(code=g["place"], label="", counts={k: g[k] for k in COUNT_KEYS}) for g in grouped]
    level = {v: k for k, v in CODE_LENGTHS.items()}[length]
    names = dict(
        Division.objects.filter(subtree_q("code", within or round.path), level=level).values_list("code", "short_name")
    )
    totals = CoverageRow(code=_totals_code(user, within or round.path), label="")
    totals.label = Division.objects.filter(code=totals.code).values_list("short_name", flat=True).first() or ""
    for row in rows:
        row.label = names.get(row.code, row.code)
        for k in COUNT_KEYS:
            totals.counts[k] += row.counts[k]
    return rows, totals


def _totals_code(user, code: str) -> str:
    """``code``, or the one root of ``user``'s scope inside it when they see only that part of it."""
    if user is SYSTEM:
        return code
    scope = scope_for(user)
    if scope.covers_code(code):
        return code
    roots = [root for root in scope.codes if root.startswith(code)]
    return roots[0] if len(roots) == 1 else code


def coverage_by_responsible(*, user, round: TestingRound, within: str = "") -> list[CoverageRow]:
    """Coverage per household representative (L4 of 包保, workforce), plus a row for households
    with nobody responsible (code ``""``). Two grouped queries and the workforce look-up."""
    from lianfang.screening import links  # noqa: PLC0415

    qs = scoped(RoundMember, user).filter(round=round, removed=False)
    if within:
        qs = qs.filter(subtree_q("path", within))
    per_household = list(qs.values("household_id").annotate(**COVERAGE_COUNTS).order_by())
    reps = links.representatives([r["household_id"] for r in per_household])
    rows: dict[object, CoverageRow] = {}
    for r in per_household:
        a = reps.get(r["household_id"])
        key = a.worker_id if a else None
        row = rows.get(key)
        if row is None:
            row = rows[key] = CoverageRow(code=str(key or ""), label=a.worker.name if a else "")
        for k in COUNT_KEYS:
            row.counts[k] += r[k]
    return sorted(rows.values(), key=lambda r: (r.code == "", -r.counts["missed"], r.label))


@dataclass
class MissedPerson:
    """One missed person: masked name, household address, household representative (masked phone)."""

    member_id: int
    resident_id: int
    name: str
    id_masked: str
    household_id: int
    address: str
    path: str
    representative: str
    representative_phone: str


def missed_people(*, user, round: TestingRound, within: str = "", limit: int = 200) -> list[MissedPerson]:
    """People of ``round`` missed under ``within`` (masked names) with their household representative,
    at most ``limit``, by place. Three queries."""
    from lianfang.screening import links  # noqa: PLC0415

    qs = (
        scoped(RoundMember, user)
        .filter(round=round, removed=False, result="", exemption="", awaiting_home_visit=False)
        .select_related("resident", "household")
        .order_by("path", "household_id", "id")
    )
    if within:
        qs = qs.filter(subtree_q("path", within))
    rows = list(qs[:limit])
    reps = links.representatives({m.household_id for m in rows})
    out = []
    for m in rows:
        a = reps.get(m.household_id)
        out.append(
            MissedPerson(
                member_id=m.pk,
                resident_id=m.resident_id,
                name=mask_name(m.resident.name),
                id_masked=m.resident.id_masked,
                household_id=m.household_id,
                address=m.household.address,
                path=m.path,
                representative=a.worker.name if a else "",
                representative_phone=a.worker.phone_masked if a else "",
            )
        )
    return out


def recent_rounds(*, user, code: str, n: int) -> list[TestingRound]:
    """The last ``n`` rounds (by opening time) whose scope covers or lies inside ``code``."""
    ancestors = [code[:k] for k in CODE_LENGTHS.values() if k <= len(code)]
    return list(
        scoped(TestingRound, user)
        .filter(Q(path__in=ancestors) | subtree_q("path", code))
        .exclude(status=RoundStatus.CANCELLED)
        .order_by("-opened_at", "-id")[:n]
    )


def missed_repeatedly(
    *, user, code: str, n: int | None = None, limit: int = 200
) -> tuple[list[TestingRound], list[dict]]:
    """People under ``code`` missed in one or more of the last ``n`` rounds (default: the rule set's
    ``missed_rounds_window``): ``[{"resident_id", "name" (masked), "address", "missed": k,
    "last_round": id}]``, most missed first. Two queries plus the names."""
    n = n or rules().missed_rounds_window
    rounds = recent_rounds(user=user, code=code, n=n)
    if not rounds:
        return [], []
    grouped = list(
        scoped(RoundMember, user)
        .filter(round__in=rounds, removed=False, result="", exemption="", awaiting_home_visit=False)
        .filter(subtree_q("path", code))
        .values("resident_id")
        .annotate(missed=Count("id"), last_round=Max("round_id"), household_id=Min("household_id"))
        .order_by("-missed", "resident_id")[:limit]
    )
    from lianfang.registry.models import Resident  # noqa: PLC0415

    residents = Resident.objects.select_related("household").in_bulk([g["resident_id"] for g in grouped])
    people = []
    for g in grouped:
        r = residents.get(g["resident_id"])
        if r is None:
            continue
        people.append(
            {
                "resident_id": r.pk,
                "name": mask_name(r.name),
                "address": r.household.address,
                "missed": g["missed"],
                "last_round": g["last_round"],
            }
        )
    return rounds, people


def progress(*, user, round: TestingRound) -> list[tuple[dt.datetime, int, int]]:
    """Round progress over time: ``[(hour start (local), sampled that hour, cumulative)]`` of the
    round's screening samples visible to ``user``. One grouped query."""
    rows = (
        scoped(Sample, user)
        .filter(round=round, purpose="screening")
        .annotate(hour=TruncHour("taken_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
    total, out = 0, []
    for r in rows:
        total += r["n"]
        out.append((r["hour"], r["n"], total))
    return out


def overdue_results(*, user, at: dt.datetime | None = None, limit: int = 200):
    """Closed tubes without a result for longer than ``result_overdue_hours`` (24 h), oldest first,
    with barcode, lab (from the hand-over) and desk or task."""
    at = at or timezone.now()
    hours = rules().result_overdue_hours
    return (
        scoped(Tube, user)
        .filter(status=TubeStatus.CLOSED, closed_at__lt=at - dt.timedelta(hours=hours))
        .select_related("desk__site", "task", "round")
        .order_by("closed_at", "id")[:limit]
    )


def overdue_steps(*, user, at: dt.datetime | None = None, limit: int = 200):
    """Follow-up steps past their deadline and not done (open follow-ups), most overdue first."""
    at = at or timezone.now()
    return (
        scoped(PoolFollowUpStep, user)
        .filter(done_at__isnull=True, due_at__lt=at, follow_up__status=FollowUpStatus.OPEN)
        .select_related("follow_up__tube", "follow_up__round")
        .order_by("due_at", "id")[:limit]
    )


def tube_counts(*, user, round: TestingRound) -> dict[str, int]:
    """Tubes of the round by status and result (one grouped query)."""
    agg = (
        scoped(Tube, user)
        .filter(round=round)
        .aggregate(
            open=Count("id", filter=Q(status=TubeStatus.OPEN)),
            closed=Count("id", filter=Q(status=TubeStatus.CLOSED)),
            negative=Count("id", filter=Q(result=ResultValue.NEGATIVE)),
            positive=Count("id", filter=Q(result=ResultValue.POSITIVE)),
            invalid=Count("id", filter=Q(result=ResultValue.INVALID)),
        )
    )
    return {k: int(v or 0) for k, v in agg.items()}


# --------------------------------------------------------------------------------------------- evidence


def last_whole_area_round(*, codes, until: dt.date):
    """Zones evidence provider (zones.evidence.register_round_provider): the last round on or before
    day ``until`` whose scope covers every one of ``codes`` (a round node is each code or one of its
    ancestors), as a RoundEvidence: the round's day (closing day, else the deadline's, else today),
    ``all_negative`` False when a member under the codes is positive, None while results are pending
    or people are still unsampled in an open round, True otherwise; ``people`` sampled. None when no
    round covers them."""
    from lianfang.zones.evidence import RoundEvidence  # noqa: PLC0415

    codes = [c for c in codes if c]
    if not codes:
        return None
    wanted = {c: [c[:k] for k in sorted(CODE_LENGTHS.values()) if k <= len(c)] for c in codes}
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    candidates = (
        TestingRound.objects.filter(opened_at__lt=end)
        .exclude(status=RoundStatus.CANCELLED)
        .prefetch_related("nodes")
        .order_by("-opened_at", "-id")[:50]
    )
    for rnd in candidates:
        nodes = {n.code for n in rnd.nodes.all()}
        if not all(any(a in nodes for a in ancestors) for ancestors in wanted.values()):
            continue
        q = Q()
        for c in codes:
            q |= subtree_q("path", c)
        agg = RoundMember.objects.filter(round=rnd, removed=False).filter(q).aggregate(**COVERAGE_COUNTS)
        if agg["positive"]:
            negative = False
        elif (
            agg["pending"]
            or agg["invalid"]
            or (rnd.status == RoundStatus.OPEN and agg["missed"] + agg["home_visit_open"])
        ):
            negative = None
        else:
            negative = True
        end_at = rnd.closed_at or min(rnd.deadline, timezone.now())
        day = timezone.localdate(end_at)
        if day > until:
            day = until
        return RoundEvidence(
            day=day, all_negative=negative, people=agg["sampled"], source=f"round #{rnd.pk} {rnd.name}"
        )
    return None


def sampled_by_level(*, user, round: TestingRound) -> dict[str, int]:
    """Samples of the round by purpose (screening, resample, retest), for the round page."""
    return {
        r["purpose"]: r["n"]
        for r in scoped(Sample, user).filter(round=round).values("purpose").annotate(n=Count("id")).order_by()
    }


def child_level(code: str) -> str:
    """The coverage grouping below division ``code``: communities under a street or district,
    compounds under a community, buildings under a compound or deeper."""
    level = {v: k for k, v in CODE_LENGTHS.items()}.get(len(code))
    if level is None or level <= Level.STREET:
        return "community"
    if level == Level.COMMUNITY:
        return "compound"
    return "building"


def coverage_grouping(params, code: str) -> str:
    """The coverage grouping a page or API request asks for: ``params["by"]`` (a key of
    :data:`LEVEL_LENGTHS`), else :func:`child_level` of division ``code`` (``within`` or the round's
    path). Raises BadQuery (a 400 in the language of the request) naming the bad value and the allowed
    ones by their translated names and parameter values, e.g. ``{"by": ["“street” is not a grouping
    (allowed: community, compound, building)"]}``, in Chinese “street”不是可用的分组方式（可选：社区
    community、小区 compound、楼栋 building）."""
    by = params.get("by") or child_level(code)
    if by not in LEVEL_LENGTHS:
        message = _("“%(value)s” is not a grouping (allowed: %(allowed)s)")
        raise BadQuery({"by": [message % {"value": by, "allowed": grouping_names()}]}, {"by": _("Group by")})
    return by


def within_code(user, params, name: str = "within", alias: str | None = None) -> str:
    """The division code ``params[name]`` a coverage page or API request narrows to (``""`` when
    absent; ``params[alias]`` when given and ``name`` is absent: the round's coverage page also reads
    ``?code=`` as the other coverage pages do). Raises BadQuery (a 400 naming the parameter and value,
    as every ``within`` does: core.filters.query_scoped_code) when it is not 1-20 ASCII digits or
    reaches nothing ``user`` may see (core.scoping.reaches: unknown or out of scope, the same answer)."""
    if alias and not (params.get(name) or "").strip():
        name = alias
    return query_scoped_code(user, params, name)


def grouping_names() -> str:
    """The allowed coverage groupings for a message in the active language: each translated name
    with its parameter value (``社区 community、小区 compound、楼栋 building``; in English the name is
    the value: ``community, compound, building``)."""
    return allowed_names(LEVEL_NAMES.items())


def allowed_names(choices) -> str:
    """The allowed values of a query parameter for a message in the active language: ``choices`` are
    ``(value, label)`` pairs; each label (translated) is followed by the value to type, unless they
    read the same (``待办 open、已完成 done、已取消 cancelled``; in English ``open, done, cancelled``)."""
    names = [key if str(name).lower() == key.lower() else f"{name} {key}" for key, name in choices]
    return listing(names)
