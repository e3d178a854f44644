"""Named data sources: the rows every report layout, drill-down list and export is made of.

A :class:`Source` reads the data of one domain through the owning app's selectors (never a second
count of the same thing) within the caller's scope (``Model.objects.visible_to(user)``), for one
division and one day, and returns rows as dicts of plain values (str, int, date, datetime, None).
It declares its ``fields`` (what a layout may show as columns) and its ``filters`` (what a layout
may restrict); :mod:`lianfang.reports.layouts` turns a layout row into a table.

Sources of apps whose selectors are missing (an app still being built) report
``available() == False``; pages then say "not available" instead of failing.

Filter values: ``choice`` filters take one value or a list; ``date`` filters take ``YYYY-MM-DD``,
``day`` (the report's day) or ``day-N`` (N days before it); ``bool`` filters take true/false.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.template.defaultfilters import yesno
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.pii import mask_name
from lianfang.core.scoping import subtree_q
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.divisions.selectors import place_names
from lianfang.reports import cache, days

COMMUNITY_LEN = CODE_LENGTHS[Level.COMMUNITY]


def optional(module: str, *names: str):
    """The attributes ``names`` of ``module`` (a tuple, or the attribute for one name), or None when
    the module or one of the names is missing (an app still being built)."""
    try:
        mod = importlib.import_module(module)
        found = tuple(getattr(mod, n) for n in names)
    except (ImportError, AttributeError):
        return None
    return found[0] if len(found) == 1 else found


# ------------------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class Field:
    """A column a layout may show: ``key``, ``label`` (lazy translation), ``kind`` (text, int, date,
    datetime, bool, percent), ``choices`` (a callable giving ``{value: label}`` for coded values) and
    ``personal`` (masked personal data: exporting it needs the EXPORT capability and is audited)."""

    key: str
    label: object
    kind: str = "text"
    choices: Callable[[], dict] | None = None
    personal: bool = False

    def display(self, value) -> object:
        """``value`` as shown: the label of a coded value, else the value itself."""
        if self.choices is not None and value not in (None, ""):
            return str(self.choices().get(value, value))
        return value


@dataclass(frozen=True)
class Filter:
    """A restriction a layout may set: ``key``, ``label``, ``kind`` (choice, date, bool, text) and, for
    ``choice``, ``choices`` (a callable giving ``{value: label}``)."""

    key: str
    label: object
    kind: str
    choices: Callable[[], dict] | None = None

    def display(self, value) -> object:
        """One validated value as shown to people: a choice's label, a yes/no in the active language
        for a bool (Django's translated ``yesno``), else the value itself."""
        if self.kind == "choice" and self.choices is not None:
            return str(self.choices().get(str(value), value))
        if self.kind == "bool":
            return yesno(value)
        return value

    def clean(self, value, *, day: dt.date | None = None):
        """The validated value (dates resolved against ``day``); ValidationError naming filter and value."""
        if self.kind == "choice":
            values = value if isinstance(value, list | tuple) else [value]
            allowed = self.choices() if self.choices else {}
            bad = [v for v in values if str(v) not in allowed]
            if bad:
                raise ValidationError(
                    _("filter %(filter)s: unknown value %(value)s (allowed: %(allowed)s)")
                    % {"filter": self.key, "value": ", ".join(map(str, bad)), "allowed": ", ".join(allowed)}
                )
            return [str(v) for v in values]
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            raise ValidationError(
                _("filter %(filter)s: %(value)s is not true or false") % {"filter": self.key, "value": value}
            )
        if self.kind == "date":
            return resolve_date(self.key, value, day)
        if self.kind == "text":
            text = str(value).strip()
            if len(text) > 100:
                raise ValidationError(_("filter %(filter)s: value too long") % {"filter": self.key})
            return text
        raise ValidationError(_("filter %(filter)s has an unknown kind") % {"filter": self.key})


def resolve_date(key: str, value, day: dt.date | None) -> dt.date | str:
    """A date filter value: ``YYYY-MM-DD``; ``day`` or ``day-N`` relative to the report day (kept as
    text when ``day`` is None, i.e. while validating a layout). ValidationError naming the value."""
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text == "day" or (text.startswith("day-") and text[4:].isdigit()):
        if day is None:
            return text
        return day - dt.timedelta(days=int(text[4:] or 0) if text != "day" else 0)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("filter %(filter)s: “%(value)s” is not a date (YYYY-MM-DD, day or day-N)")
            % {"filter": key, "value": text}
        ) from None


@dataclass
class Source:
    """A named data source (see the module docstring).

    ``sections`` are the apps it reads (cache invalidation); ``requires`` lists ``(module, name)``
    pairs that must exist for it to work; ``fetch(user, division, day, filters)`` returns the rows;
    ``default_columns`` is what a new layout shows; ``personal`` marks a source of personal data.
    """

    key: str
    label: object
    sections: tuple[str, ...]
    fields: tuple[Field, ...]
    fetch: Callable
    filters: tuple[Filter, ...] = ()
    requires: tuple[tuple[str, str], ...] = ()
    default_columns: tuple[str, ...] = ()
    personal: bool = False
    description: object = ""
    _fields: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self._fields = {f.key: f for f in self.fields}

    def available(self) -> bool:
        """True when every selector the source needs exists."""
        return all(optional(module, name) is not None for module, name in self.requires)

    def field(self, key: str) -> Field:
        """The field ``key``; KeyError when unknown."""
        return self._fields[key]

    def has_field(self, key: str) -> bool:
        return key in self._fields

    def filter(self, key: str) -> Filter:
        for f in self.filters:
            if f.key == key:
                return f
        raise KeyError(key)

    def clean_filters(self, raw: dict | None, *, day: dt.date | None = None) -> dict:
        """Validated filters (``{key: value}``); ValidationError naming the first unknown key or bad value."""
        cleaned = {}
        for key, value in (raw or {}).items():
            if value in (None, "", []):
                continue
            try:
                flt = self.filter(key)
            except KeyError:
                raise ValidationError(
                    _("filter %(filter)s does not exist in source %(source)s (filters: %(known)s)")
                    % {"filter": key, "source": self.key, "known": ", ".join(f.key for f in self.filters) or "—"}
                ) from None
            cleaned[key] = flt.clean(value, day=day)
        return cleaned

    def rows(self, *, user, division: Division, day: dt.date, filters: dict | None = None) -> list[dict]:
        """The rows for ``division`` as of ``day`` within ``user``'s scope (cached; see reports.cache).
        ValidationError for bad filters; LookupError when the source is not available."""
        if not self.available():
            raise LookupError(f"source {self.key} is not available")
        cleaned = self.clean_filters(filters, day=day)
        parts = ["source", self.key, division.code, day.isoformat(), sorted((k, str(v)) for k, v in cleaned.items())]
        return cache.cached(
            self.sections, parts, lambda: self.fetch(user=user, division=division, day=day, filters=cleaned), user=user
        )


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add ``source`` to the registry (replacing one with the same key)."""
    SOURCES[source.key] = source
    return source


def get(key: str) -> Source:
    """The source ``key``; ValidationError naming it when unknown."""
    try:
        return SOURCES[key]
    except KeyError:
        raise ValidationError(
            _("unknown data source %(source)s (known: %(known)s)")
            % {"source": key, "known": ", ".join(sorted(SOURCES))}
        ) from None


def all_sources() -> list[Source]:
    return [SOURCES[k] for k in sorted(SOURCES)]


# ------------------------------------------------------------------------------------------ helpers


def _names(codes: Iterable[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=set(codes)).values_list("code", "short_name"))


def _places(paths: Iterable[str]) -> dict[str, str]:
    """What a report's "place" column shows for each path: its community and compound
    (divisions.selectors.place_names below the street, down to the compound: “下西园社区 › 阳光小区”).
    One query."""
    return place_names(paths, below=Level.STREET, down_to=Level.COMPOUND)


def _choices_of(module: str, name: str) -> Callable[[], dict]:
    def get_choices() -> dict:
        enum = optional(module, name)
        return dict(enum.choices) if enum is not None else {}

    return get_choices


def _at(day: dt.date) -> dt.datetime:
    return days.as_of(day)


# ------------------------------------------------------------------------------------------ requests


def requests_open_q(at: dt.datetime) -> Q:
    """Tickets open at instant ``at``: received by then and not yet fulfilled, confirmed or closed
    (assistance OPEN_STATUSES are new, accepted and in progress; the step timestamps are written once,
    assistance.models.ServiceRequest)."""
    q = Q(received_at__lte=at)
    for stamp in ("fulfilled_at", "confirmed_at", "closed_at"):
        q &= Q(**{f"{stamp}__isnull": True}) | Q(**{f"{stamp}__gt": at})
    return q


def requests_overdue_q(at: dt.datetime) -> Q:
    """Tickets open at ``at`` with a step deadline passed and the step not reached by then (the
    assistance app's ``due_at`` is the earliest deadline of a step not reached)."""
    late = Q()
    for due, reached in (
        ("accept_due_at", "accepted_at"),
        ("on_site_due_at", "on_site_at"),
        ("fulfil_due_at", "fulfilled_at"),
    ):
        late |= Q(**{f"{due}__lt": at}) & (Q(**{f"{reached}__isnull": True}) | Q(**{f"{reached}__gt": at}))
    return requests_open_q(at) & late


def requests_state(*, user, code: str, day: dt.date) -> dict:
    """Open and overdue tickets under ``code`` as of ``day``, in ``user``'s scope, by community and by
    category: ``{"open", "overdue", "by_community": {code: (open, overdue)}, "by_category": {key: (open,
    overdue)}}``. Today: assistance.selectors.open_board (the live dashboard); a past day: rebuilt
    from the write-once step timestamps (requests_open_q / requests_overdue_q). Raises LookupError when
    the assistance app is not available."""
    board_fn = optional("lianfang.assistance.selectors", "open_board")
    model = optional("lianfang.assistance.models", "ServiceRequest")
    if board_fn is None or model is None:
        raise LookupError("assistance selectors are not available")
    if day == days.today():
        board = board_fn(user=user, code=code)
        by_community = {community.code: (n, late) for community, _cells, n, late in board.rows}
        by_category = {key: tuple(v) for key, v in board.totals.items()}
        return {"open": board.open, "overdue": board.overdue, "by_community": by_community, "by_category": by_category}
    at = days.end_of(day)
    qs = model.objects.within(code).visible_to(user).filter(requests_open_q(at))
    late = requests_overdue_q(at)
    by_community: dict[str, list[int]] = {}
    by_category: dict[str, list[int]] = {}
    rows = (
        qs.annotate(place=Substr("path", 1, COMMUNITY_LEN))
        .values("place", "category")
        .annotate(n=Count("id"), late=Count("id", filter=late))
        .order_by()
    )
    total, total_late = 0, 0
    for r in rows:
        c = by_community.setdefault(r["place"], [0, 0])
        c[0] += r["n"]
        c[1] += r["late"]
        k = by_category.setdefault(r["category"], [0, 0])
        k[0] += r["n"]
        k[1] += r["late"]
        total += r["n"]
        total_late += r["late"]
    return {
        "open": total,
        "overdue": total_late,
        "by_community": {k: tuple(v) for k, v in by_community.items()},
        "by_category": {k: tuple(v) for k, v in by_category.items()},
    }


# ------------------------------------------------------------------------------------------ rounds


def rounds_on(*, user, code: str, day: dt.date, limit: int = 5) -> list:
    """Testing rounds covering or inside ``code`` that ran on ``day`` (opened by its end, not closed
    before its start, not cancelled), latest first (screening.selectors.recent_rounds)."""
    recent = optional("lianfang.screening.selectors", "recent_rounds")
    if recent is None:
        raise LookupError("screening selectors are not available")
    start, end = days.bounds(day)
    rounds = recent(user=user, code=code, n=50)
    return [r for r in rounds if r.opened_at < end and (r.closed_at is None or r.closed_at >= start)][:limit]


def round_coverage(*, user, rnd, within: str, by: str) -> tuple[list[dict], dict]:
    """screening.selectors.coverage of round ``rnd`` under ``within`` grouped ``by`` (community, compound,
    building), cached until a screening write and shared by the overview and the daily report:
    ``([{code, label, counts, percent}], {"counts", "percent"})``."""
    coverage = optional("lianfang.screening.selectors", "coverage")
    if coverage is None:
        raise LookupError("screening selectors are not available")

    def compute():
        rows, totals = coverage(user=user, round=rnd, within=within, by=by)
        return (
            [{"code": r.code, "label": r.label, "counts": dict(r.counts), "percent": r.percent} for r in rows],
            {"counts": dict(totals.counts), "percent": totals.percent},
        )

    return cache.cached(("screening", "registry"), ["coverage", rnd.pk, within, by], compute, user=user)


def round_totals(*, user, rnd, within: str) -> dict:
    """The coverage totals of round ``rnd`` under ``within`` (``{"counts", "percent"}``), counted with
    screening.selectors.COVERAGE_COUNTS in one aggregate (no grouping by place: half the cost of
    :func:`round_coverage` on a district) and CoverageRow's percent; cached until a screening write."""
    names = optional("lianfang.screening.selectors", "COVERAGE_COUNTS", "CoverageRow")
    member = optional("lianfang.screening.models", "RoundMember")
    if names is None or member is None:
        _rows, totals = round_coverage(user=user, rnd=rnd, within=within, by="community")
        return totals
    counts_spec, row_class = names

    def compute():
        agg = member.objects.filter(round=rnd, removed=False).within(within).visible_to(user).aggregate(**counts_spec)
        row = row_class(code=within, label="", counts={k: int(v or 0) for k, v in agg.items()})
        return {"counts": dict(row.counts), "percent": row.percent}

    return cache.cached(("screening", "registry"), ["round_totals", rnd.pk, within], compute, user=user)


def current_round(*, user, code: str, day: dt.date):
    """The round a report on ``code`` for ``day`` is about (a TestingRound, or None when none ran that
    day): the latest that ran over all of ``code`` (its place is ``code`` or above it); when none did,
    of those inside ``code`` the broadest (shortest place code), the latest among equals. A community's
    own round never replaces the district's or the street's round on their pages (new-user trial 15:
    one community's round of 677 people became the district overview's "current round", hiding the
    district round's 5,289 missed)."""
    found = rounds_on(user=user, code=code, day=day, limit=50)  # latest first
    if not found:
        return None
    covering = [r for r in found if code.startswith(r.path)]
    if covering:
        return covering[0]
    return min(found, key=lambda r: len(r.path))  # min keeps the first (latest) of equal lengths


def positive_pools(*, user, code: str, day: dt.date):
    """Positive pooled tubes (a positive tube that is not an individual retest, domain.md §4) under
    ``code`` with their result by the end of ``day``, in ``user``'s scope, annotated with
    ``has_follow_up``, ``fu_status``, ``fu_id``, ``fu_opened_at`` and ``next_due`` (the earliest
    deadline of a step not done). A queryset of screening Tube rows."""
    names = optional("lianfang.screening.models", "Tube", "Sample", "PoolFollowUp", "PoolFollowUpStep")
    if names is None:
        raise LookupError("screening models are not available")
    tube, sample, follow_up, step = names
    retest = sample.objects.filter(tube=OuterRef("pk"), purpose="retest")
    fu = follow_up.objects.filter(tube=OuterRef("pk"))
    pending_steps = step.objects.filter(follow_up__tube=OuterRef("pk"), done_at__isnull=True)
    return (
        tube.objects.within(code)
        .visible_to(user)
        .filter(result="positive", result_at__lte=days.end_of(day))
        .filter(~Exists(retest))
        .annotate(
            has_follow_up=Exists(fu),
            fu_id=Subquery(fu.values("pk")[:1]),
            fu_status=Subquery(fu.values("status")[:1]),
            fu_opened_at=Subquery(fu.values("opened_at")[:1]),
            next_due=Subquery(pending_steps.order_by("due_at").values("due_at")[:1]),
        )
    )


def pools_summary(*, user, code: str, day: dt.date, at: dt.datetime | None = None) -> dict:
    """Positive pools under ``code`` as of ``day``: ``{"on_day", "total", "open", "overdue",
    "missing"}`` — resulted on the day, in all, with an open follow-up, with an open follow-up that
    has a step past its deadline at ``at`` (default: as of the day), and without any follow-up."""
    at = at or _at(day)
    start, end = days.bounds(day)
    qs = positive_pools(user=user, code=code, day=day)
    agg = qs.aggregate(
        total=Count("id"),
        on_day=Count("id", filter=Q(result_at__gte=start, result_at__lt=end)),
        missing=Count("id", filter=Q(has_follow_up=False)),
        open=Count("id", filter=Q(fu_status="open")),
        overdue=Count("id", filter=Q(fu_status="open", next_due__lt=at)),
    )
    return {k: int(v or 0) for k, v in agg.items()}


# ------------------------------------------------------------------------------------------ fetchers


def _fetch_communities(*, user, division, day, filters) -> list[dict]:
    from lianfang.registry.selectors import counts_by_child  # noqa: PLC0415

    code = division.code
    communities = list(Division.objects.within(code).visible_to(user).filter(level=Level.COMMUNITY).order_by("code"))
    if division.level == Level.COMMUNITY:
        communities = [division] if division in communities else []
    if filters.get("street"):
        communities = [c for c in communities if c.code.startswith(filters["street"])]
    streets = _names({c.code[: CODE_LENGTHS[Level.STREET]] for c in communities})
    base = counts_by_child(user=user, parent_code=code, child_code_length=COMMUNITY_LEN)
    rows = {
        c.code: {
            "street": streets.get(c.code[:9], ""),
            "community": c.short_name,
            "community_code": c.code,
            **dict.fromkeys(
                (
                    "strict_households",
                    "strict_residents",
                    "second_households",
                    "second_residents",
                    "deployed",
                    "round_expected",
                    "round_sampled",
                    "round_exempt",
                    "round_home_visit_open",
                    "round_missed",
                    "pools_open",
                    "requests_open",
                    "requests_overdue",
                ),
                None,
            ),
            "households": base.get(c.code, {}).get("households", 0),
            "residents": base.get(c.code, {}).get("residents", 0),
            "vulnerable": base.get(c.code, {}).get("vulnerable", 0),
        }
        for c in communities
    }
    counts_by_tier = optional("lianfang.zones.selectors", "counts_by_tier")
    if counts_by_tier is not None and rows:
        parents = Division.objects.filter(pk__in={c.parent_id for c in communities}).order_by("code")
        for street in parents:
            table = counts_by_tier(user=user, parent=street, on=_at(day))
            rank = {t.pk: t.rank for t in table.tiers}
            for child, cells in table.rows:
                row = rows.get(child.code)
                if row is None:
                    continue
                row.update(strict_households=0, strict_residents=0, second_households=0, second_residents=0)
                for tier_id, cell in cells.items():
                    prefix = {1: "strict", 2: "second"}.get(rank.get(tier_id))
                    if prefix:
                        row[f"{prefix}_households"] += cell["households"]
                        row[f"{prefix}_residents"] += cell["residents"]
    sheet_fn = optional("lianfang.workforce.sheet", "workforce_sheet")
    if sheet_fn is not None and rows and division.level <= Level.COMMUNITY:
        sheet = sheet_fn(user=user, division=division, on=day)
        deployed = {line.division.code: line.counts["total"] for b in sheet.streets for line in b.communities}
        for c, row in rows.items():
            row["deployed"] = deployed.get(c, 0)
    try:
        rnd = current_round(user=user, code=code, day=day)
    except LookupError:
        rnd = None
    if rnd is not None:
        by_place, _totals = round_coverage(user=user, rnd=rnd, within=code, by="community")
        found = {r["code"]: r["counts"] for r in by_place}
        for c, row in rows.items():
            counts = found.get(c)
            row["round_expected"] = counts["expected"] if counts else 0
            # sampled (an invalid tube included: re-sampling) + exempt + home visit pending + missed = expected
            for key in ("sampled", "exempt", "home_visit_open", "missed"):
                row[f"round_{key}"] = counts[key] if counts else 0
    follow_up = optional("lianfang.screening.models", "PoolFollowUp")
    if follow_up is not None:
        open_fus = (
            follow_up.objects.within(code)
            .visible_to(user)
            .filter(status="open")
            .annotate(place=Substr("path", 1, COMMUNITY_LEN))
            .values("place")
            .annotate(n=Count("id"))
            .order_by()
        )
        found = {r["place"]: r["n"] for r in open_fus}
        for c, row in rows.items():
            row["pools_open"] = found.get(c, 0)
    try:
        state = requests_state(user=user, code=code, day=day)
    except LookupError:
        state = None
    if state is not None:
        for c, row in rows.items():
            row["requests_open"], row["requests_overdue"] = state["by_community"].get(c, (0, 0))
    result = list(rows.values())
    if filters.get("with_areas"):
        result = [r for r in result if (r["strict_residents"] or 0) + (r["second_residents"] or 0) > 0]
    return result


register(
    Source(
        key="communities",
        label=_("Communities and villages: one line each"),
        description=_("Population, residents by tier, workforce, round coverage, pools and requests per community."),
        sections=("divisions", "registry", "zones", "workforce", "screening", "assistance"),
        requires=(("lianfang.registry.selectors", "counts_by_child"),),
        fields=(
            Field("street", _("Street/town")),
            Field("community", _("Community/village")),
            Field("community_code", _("Division code")),
            Field("households", _("Households"), "int"),
            Field("residents", _("Residents"), "int"),
            Field("vulnerable", _("Vulnerable residents"), "int"),
            Field("strict_households", _("Households in sealed/high-risk areas"), "int"),
            Field("strict_residents", _("Residents in sealed/high-risk areas"), "int"),
            Field("second_households", _("Households in controlled/medium-risk areas"), "int"),
            Field("second_residents", _("Residents in controlled/medium-risk areas"), "int"),
            Field("deployed", _("People deployed"), "int"),
            Field("round_expected", _("Round: expected"), "int"),
            Field("round_sampled", _("Round: sampled"), "int"),
            Field("round_exempt", _("Round: exempt"), "int"),
            Field("round_home_visit_open", _("Round: home visit pending"), "int"),
            Field("round_missed", _("Round: missed"), "int"),
            Field("pools_open", _("Positive pools under follow-up"), "int"),
            Field("requests_open", _("Requests open"), "int"),
            Field("requests_overdue", _("Requests overdue"), "int"),
        ),
        filters=(
            Filter("street", _("Street/town (code)"), "text"),
            Filter("with_areas", _("Only communities with sealed or controlled residents"), "bool"),
        ),
        default_columns=("street", "community", "households", "residents", "strict_residents", "second_residents"),
        fetch=_fetch_communities,
    )
)


def _tier_choices() -> dict:
    enum = optional("lianfang.zones.models", "TierKey")
    return dict(enum.choices) if enum is not None else {}


def tier_table(*, user, division: Division, day: dt.date) -> dict:
    """Households and residents by tier under ``division`` at the end of ``day`` within ``user``'s scope
    (zones.selectors.counts_by_tier), as plain data and cached: ``{"tiers": [{id, key, rank, name,
    name_en, colour, is_baseline}], "rows": [{code, name, cells}], "totals": {tier id or None:
    {households, residents}}}``; ``cells`` maps a tier id (None: outside every area) to the counts."""
    from lianfang.zones.selectors import counts_by_tier  # noqa: PLC0415

    def compute():
        table = counts_by_tier(user=user, parent=division, on=_at(day))
        return {
            "tiers": [
                {
                    "id": t.pk,
                    "key": t.key,
                    "rank": t.rank,
                    "name": t.name,
                    "name_en": t.name_en,
                    "colour": t.colour,
                    "is_baseline": t.is_baseline,
                }
                for t in table.tiers
            ],
            "rows": [{"code": c.code, "name": c.short_name, "cells": cells} for c, cells in table.rows],
            "totals": table.totals,
        }

    return cache.cached(("zones", "registry", "divisions"), ["tier_table", division.code, day], compute, user=user)


def _grouped_by_path(model, user, roots: list[str], chunk: int = 200) -> list[tuple[str, int]]:
    """``[(path, rows)]`` of ``model`` rows visible to ``user`` inside the subtrees ``roots``: one range
    query per root joined by UNION ALL. Two SQLite planner facts measured on 0.56 M residents: an OR
    of 30 ranges scans the whole table (0.9 s against 0.03 s), and of two ranges on the same indexed
    column SQLite uses the first written, so the root's range comes before ``visible_to``'s (the
    whole district for a commander): 3.7 s against 0.14 s."""
    out: list[tuple[str, int]] = []
    for start in range(0, len(roots), chunk):
        parts = [
            model.objects.within(root).visible_to(user).values_list("path").annotate(n=Count("id")).order_by()
            for root in roots[start : start + chunk]
        ]
        out += list(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else list(parts[0])
    return out


def area_populations(areas, *, user, at: dt.datetime) -> dict[int, dict[str, int]]:
    """``{area id: {"households", "residents"}}`` for ``areas`` (in force at ``at``, nodes prefetched)
    within ``user``'s scope: the people inside an area's places whose strictest tier in force is the
    area's tier — what zones.selectors.area_population counts one area at a time (inside its places,
    outside stricter areas), here for every area in two grouped queries (households and residents
    by division code) plus the two of zones.selectors.tier_index, whose ``tier_for`` decides each
    code's tier."""
    from lianfang.registry.models import Household, Resident  # noqa: PLC0415
    from lianfang.zones.selectors import tier_index  # noqa: PLC0415

    result = {area.pk: {"households": 0, "residents": 0} for area in areas}
    by_code: dict[str, list] = {}
    for area in areas:
        for node in area.nodes.all():
            by_code.setdefault(node.code, []).append(area)
    if not by_code:
        return result
    roots: list[str] = []
    for code in sorted(by_code, key=len):
        if not any(code.startswith(root) for root in roots):
            roots.append(code)
    index = tier_index(at)
    lengths = sorted({len(c) for c in by_code})
    for model, key in ((Household, "households"), (Resident, "residents")):
        for path, n in _grouped_by_path(model, user, roots):
            tier = index.tier_for(path)
            if tier is None:
                continue
            counted: set[int] = set()
            for length in lengths:
                for area in by_code.get(path[:length], ()):
                    if area.tier.rank == tier.rank and area.pk not in counted:
                        counted.add(area.pk)
                        result[area.pk][key] += n
    return result


def _fetch_control_areas(*, user, division, day, filters) -> list[dict]:
    """Areas in force with their population (:func:`area_populations`), except for the district-wide
    baseline tier (precaution / low), whose population within the division is that tier's cell of the
    tier table (the same count without reading the whole district twice)."""
    from lianfang.zones.models import ControlArea  # noqa: PLC0415

    inside = ControlArea.objects.filter(subtree_q("nodes__code", division.code)).values("pk")
    qs = (
        ControlArea.objects.visible_to(user)
        .in_force(_at(day))
        .filter(pk__in=inside)
        .select_related("tier")
        .prefetch_related("nodes")
        .order_by("tier__rank", "path", "id")
    )
    if filters.get("tier"):
        qs = qs.filter(tier__key__in=filters["tier"])
    areas = list(qs)
    populations = area_populations([a for a in areas if not a.tier.is_baseline], user=user, at=_at(day))
    rows = []
    baseline = None
    for area in areas:
        if area.tier.is_baseline:
            if baseline is None:
                baseline = tier_table(user=user, division=division, day=day)["totals"]
            cell = baseline.get(area.tier_id, {"households": 0, "residents": 0})
            population = {"households": cell["households"], "residents": cell["residents"]}
        else:
            population = populations[area.pk]
        since = timezone.localdate(area.effective_from) if area.effective_from else None
        rows.append(
            {
                "id": area.pk,
                "name": area.name,
                "tier": area.tier.key,
                "tier_name": area.tier.name,
                "tier_name_en": area.tier.name_en,
                "rank": area.tier.rank,
                "colour": area.tier.colour,
                "path": area.path,
                "since": since,
                "days_in_force": (day - since).days + 1 if since else None,
                "households": population["households"],
                "residents": population["residents"],
                "last_infection_on": area.last_infection_on,
                "earliest_change_on": area.earliest_change_on,
            }
        )
    return rows


register(
    Source(
        key="control_areas",
        label=_("Control areas in force"),
        description=_("Sealed, controlled and precaution areas (or their successors) in force at the end of the day."),
        sections=("zones", "registry", "divisions"),
        requires=(("lianfang.zones.selectors", "tier_index"), ("lianfang.zones.models", "ControlArea")),
        fields=(
            Field("name", _("Area")),
            Field("tier", _("Tier"), choices=_tier_choices),
            Field("path", _("Division code")),
            Field("since", _("In force since"), "date"),
            Field("days_in_force", _("Days in force"), "int"),
            Field("households", _("Households"), "int"),
            Field("residents", _("Residents"), "int"),
            Field("last_infection_on", _("Last infection inside"), "date"),
            Field("earliest_change_on", _("Earliest lift or downgrade"), "date"),
        ),
        filters=(Filter("tier", _("Tier"), "choice", _tier_choices),),
        default_columns=("name", "tier", "since", "households", "residents", "last_infection_on"),
        fetch=_fetch_control_areas,
    )
)


def _fetch_infections(*, user, division, day, filters) -> list[dict]:
    from lianfang.zones.models import Infection  # noqa: PLC0415

    qs = Infection.objects.within(division.code).visible_to(user).filter(detected_on__lte=day)
    if filters.get("detected_from"):
        qs = qs.filter(detected_on__gte=filters["detected_from"])
    if filters.get("detected_to"):
        qs = qs.filter(detected_on__lte=filters["detected_to"])
    rows = list(qs.order_by("-detected_on", "-id").values("id", "person_name", "path", "detected_on", "onset_on"))
    places = _places(r["path"] for r in rows)
    return [
        {
            "id": r["id"],
            "name": mask_name(r["person_name"]),
            "place": places[r["path"]],
            "path": r["path"],
            "detected_on": r["detected_on"],
            "onset_on": r["onset_on"],
        }
        for r in rows
    ]


register(
    Source(
        key="infections",
        label=_("Infections"),
        description=_("Infections recorded by the end of the day (names masked)."),
        sections=("zones", "divisions"),
        requires=(("lianfang.zones.models", "Infection"),),
        fields=(
            Field("name", _("Name (masked)"), personal=True),
            Field("place", _("Place of residence")),
            Field("path", _("Division code")),
            Field("detected_on", _("Detected on"), "date"),
            Field("onset_on", _("Symptom onset"), "date"),
        ),
        filters=(
            Filter("detected_from", _("Detected on or after"), "date"),
            Filter("detected_to", _("Detected on or before"), "date"),
        ),
        default_columns=("detected_on", "name", "place"),
        fetch=_fetch_infections,
    )
)


def _fetch_workforce(*, user, division, day, filters) -> list[dict]:
    from lianfang.workforce.sheet import workforce_sheet  # noqa: PLC0415

    if division.level > Level.COMMUNITY:
        return []
    sheet = workforce_sheet(user=user, division=division, on=day)
    rows = []
    for block in sheet.streets:
        rows.append({"line": "street", **block.row.as_dict(), "street": block.row.division.short_name, "community": ""})
        for line in block.communities:
            rows.append({"line": "community", **line.as_dict(), "street": "", "community": line.division.short_name})
    return rows


def _sheet_fields() -> tuple[Field, ...]:
    columns = optional("lianfang.workforce.sheet", "SHEET_COLUMNS") or ()
    return tuple(Field(c.key, c.label, "int") for c in columns)


register(
    Source(
        key="workforce",
        label=_("Workforce sheet"),
        description=_("The daily workforce sheet of the workforce app, a line per street and community."),
        sections=("workforce", "divisions"),
        requires=(("lianfang.workforce.sheet", "workforce_sheet"),),
        fields=(
            Field("street", _("Street/town")),
            Field("community", _("Community/village")),
            Field("code", _("Division code")),
            Field("communities", _("Communities"), "int"),
            Field("compounds", _("Compounds"), "int"),
            *_sheet_fields(),
        ),
        default_columns=("street", "community", "compounds", "total"),
        fetch=_fetch_workforce,
    )
)


def _fetch_positive_pools(*, user, division, day, filters) -> list[dict]:
    at = _at(day)
    qs = positive_pools(user=user, code=division.code, day=day).select_related("round")
    state = filters.get("state")
    if state:
        q = Q()
        if "missing" in state:
            q |= Q(has_follow_up=False)
        if "open" in state:
            q |= Q(fu_status="open")
        if "closed" in state:
            q |= Q(fu_status="closed")
        qs = qs.filter(q)
    if filters.get("overdue") is True:
        qs = qs.filter(Q(has_follow_up=False) | Q(fu_status="open", next_due__lt=at))
    tubes = list(qs.order_by("result_at", "id"))
    places = _places(t.path for t in tubes)
    rows = []
    for t in tubes:
        overdue = (not t.has_follow_up) or (t.fu_status == "open" and t.next_due is not None and t.next_due < at)
        rows.append(
            {
                "id": t.pk,
                "follow_up_id": t.fu_id,
                "barcode": t.barcode,
                "round": t.round.name,
                "place": places[t.path],
                "path": t.path,
                "people": t.people,
                "result_at": t.result_at,
                "state": "missing" if not t.has_follow_up else t.fu_status,
                "next_due": t.next_due if t.fu_status == "open" else None,
                "overdue": overdue,
            }
        )
    rows.sort(key=lambda r: (not r["overdue"], r["state"] == "closed", r["next_due"] or r["result_at"]))
    return rows


def _pool_states() -> dict:
    return {"missing": _("No follow-up"), "open": _("Follow-up open"), "closed": _("Follow-up closed")}


register(
    Source(
        key="positive_pools",
        label=_("Positive pools and their follow-up"),
        description=_("Positive pooled tubes resulted by the end of the day; overdue or missing follow-ups first."),
        sections=("screening", "divisions"),
        requires=(("lianfang.screening.models", "PoolFollowUp"), ("lianfang.screening.models", "Tube")),
        fields=(
            Field("barcode", _("Tube")),
            Field("round", _("Round")),
            Field("place", _("Place")),
            Field("people", _("People in the tube"), "int"),
            Field("result_at", _("Result at"), "datetime"),
            Field("state", _("Follow-up"), choices=_pool_states),
            Field("next_due", _("Next step due"), "datetime"),
            Field("overdue", _("Overdue"), "bool"),
        ),
        filters=(
            Filter("state", _("Follow-up"), "choice", _pool_states),
            Filter("overdue", _("Only overdue or missing follow-ups"), "bool"),
        ),
        default_columns=("barcode", "place", "result_at", "state", "next_due", "overdue"),
        fetch=_fetch_positive_pools,
    )
)


def _fetch_service_requests(*, user, division, day, filters) -> list[dict]:
    from lianfang.assistance.models import ServiceRequest  # noqa: PLC0415

    at = _at(day)
    start, end = days.bounds(day)
    qs = (
        ServiceRequest.objects.within(division.code)
        .visible_to(user)
        .filter(received_at__lte=at)
        .annotate(is_open=Count("id", filter=requests_open_q(at)), is_late=Count("id", filter=requests_overdue_q(at)))
    )
    if filters.get("open") is not None:
        qs = qs.filter(requests_open_q(at)) if filters["open"] else qs.exclude(requests_open_q(at))
    if filters.get("overdue") is True:
        qs = qs.filter(requests_overdue_q(at))
    if filters.get("received_on_day") is True:
        qs = qs.filter(received_at__gte=start, received_at__lt=end)
    if filters.get("category"):
        qs = qs.filter(category__in=filters["category"])
    rows = list(
        qs.order_by("-is_late", "due_at", "received_at", "id").values(
            "id", "number", "category", "priority", "status", "path", "received_at", "due_at", "is_open", "is_late"
        )[:5000]
    )
    places = _places(r["path"] for r in rows)
    return [
        {
            "id": r["id"],
            "number": r["number"],
            "category": r["category"],
            "priority": r["priority"],
            "status": r["status"],
            "place": places[r["path"]],
            "received_at": r["received_at"],
            "due_at": r["due_at"] if r["is_open"] else None,
            "open": bool(r["is_open"]),
            "overdue": bool(r["is_late"]),
        }
        for r in rows
    ]


_request_categories = _choices_of("lianfang.assistance.models", "Category")

register(
    Source(
        key="service_requests",
        label=_("Service requests"),
        description=_("Tickets received by the end of the day; open and overdue as of then."),
        sections=("assistance", "divisions"),
        requires=(("lianfang.assistance.models", "ServiceRequest"), ("lianfang.assistance.selectors", "open_board")),
        fields=(
            Field("number", _("Number")),
            Field("category", _("Category"), choices=_request_categories),
            Field("priority", _("Priority"), choices=_choices_of("lianfang.assistance.models", "Priority")),
            Field("status", _("Status"), choices=_choices_of("lianfang.assistance.models", "Status")),
            Field("place", _("Place")),
            Field("received_at", _("Received at"), "datetime"),
            Field("due_at", _("Next deadline"), "datetime"),
            Field("open", _("Still open"), "bool"),
            Field("overdue", _("Overdue"), "bool"),
        ),
        filters=(
            Filter("open", _("Open at the end of the day"), "bool"),
            Filter("overdue", _("Overdue at the end of the day"), "bool"),
            Filter("received_on_day", _("Received on the day"), "bool"),
            Filter("category", _("Category"), "choice", _request_categories),
        ),
        default_columns=("number", "category", "priority", "place", "received_at", "due_at", "overdue"),
        fetch=_fetch_service_requests,
    )
)


_person_categories = _choices_of("lianfang.fieldops.models", "PersonCategory")
_person_statuses = _choices_of("lianfang.fieldops.models", "PersonStatus")


def _fetch_screened_people(*, user, division, day, filters) -> list[dict]:
    from lianfang.fieldops.models import ScreenedPerson  # noqa: PLC0415

    qs = ScreenedPerson.objects.within(division.code).visible_to(user).filter(created_at__lte=_at(day))
    if filters.get("category"):
        qs = qs.filter(category__in=filters["category"])
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    if filters.get("arrived_from"):
        qs = qs.filter(arrived_on__gte=filters["arrived_from"])
    if filters.get("arrived_to"):
        qs = qs.filter(arrived_on__lte=filters["arrived_to"])
    rows = list(
        qs.order_by("path", "id").values(
            "id",
            "name",
            "id_masked",
            "phone_masked",
            "category",
            "origin",
            "arrived_on",
            "risk_area",
            "address",
            "path",
            "status",
            "last_exposure_on",
        )[:20000]
    )
    places = _places(r["path"] for r in rows)
    for r in rows:
        r["name"] = mask_name(r["name"])
        r["place"] = places[r["path"]]
    return rows


register(
    Source(
        key="screened_people",
        label=_("People found by personnel screening"),
        description=_("Inflow people, travellers from risk areas and contacts (masked personal data)."),
        sections=("fieldops", "divisions"),
        requires=(("lianfang.fieldops.models", "ScreenedPerson"),),
        personal=True,
        fields=(
            Field("name", _("Name (masked)"), personal=True),
            Field("id_masked", _("ID number (masked)"), personal=True),
            Field("phone_masked", _("Phone (masked)"), personal=True),
            Field("category", _("Category"), choices=_person_categories),
            Field("origin", _("Coming from")),
            Field("arrived_on", _("Arrived on"), "date"),
            Field("risk_area", _("Risk area travelled through")),
            Field("address", _("Address given"), personal=True),
            Field("place", _("Place")),
            Field("status", _("Status"), choices=_person_statuses),
            Field("last_exposure_on", _("Last exposure"), "date"),
        ),
        filters=(
            Filter("category", _("Category"), "choice", _person_categories),
            Filter("status", _("Status"), "choice", _person_statuses),
            Filter("arrived_from", _("Arrived on or after"), "date"),
            Filter("arrived_to", _("Arrived on or before"), "date"),
        ),
        default_columns=("name", "category", "origin", "arrived_on", "place", "status"),
        fetch=_fetch_screened_people,
    )
)


def _fetch_gates(*, user, division, day, filters) -> list[dict]:
    from lianfang.fieldops.selectors import roster_coverage  # noqa: PLC0415

    rows = []
    coverage = roster_coverage(user=user, code=division.code, day=day)
    places = _places(g.gate.path for g in coverage)
    for g in coverage:
        uncovered = g.needs_duty and bool(g.gaps)
        if filters.get("uncovered") is True and not uncovered:
            continue
        rows.append(
            {
                "id": g.gate.pk,
                "gate": g.gate.name,
                "place": places[g.gate.path],
                "tier": g.tier_key,
                "needs_duty": g.needs_duty,
                "uncovered": uncovered,
                "uncovered_hours": g.uncovered_hours,
                "gaps": ", ".join(f"{timezone.localtime(a):%H:%M}–{timezone.localtime(b):%H:%M}" for a, b in g.gaps),
            }
        )
    rows.sort(key=lambda r: (not r["uncovered"], -r["uncovered_hours"], r["place"], r["gate"]))
    return rows


register(
    Source(
        key="gates",
        label=_("Gate duty coverage"),
        description=_("Open gates, whether their tier needs round-the-clock duty and the hours nobody guards."),
        sections=("fieldops", "zones", "workforce", "divisions"),
        requires=(("lianfang.fieldops.selectors", "roster_coverage"),),
        fields=(
            Field("gate", _("Gate")),
            Field("place", _("Place")),
            Field("tier", _("Tier"), choices=_tier_choices),
            Field("needs_duty", _("Needs 24-hour duty"), "bool"),
            Field("uncovered", _("Uncovered"), "bool"),
            Field("uncovered_hours", _("Hours uncovered"), "float"),
            Field("gaps", _("Uncovered times")),
        ),
        filters=(Filter("uncovered", _("Only uncovered gates"), "bool"),),
        default_columns=("gate", "place", "tier", "uncovered_hours", "gaps"),
        fetch=_fetch_gates,
    )
)
