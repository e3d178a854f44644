"""Workforce pages: the daily sheet, the responsibility grid (coverage, gaps, proposals, a household's
chain), and the lists of workers, teams, deployments and assignments. Every row comes from
``Model.objects.visible_to(request.user)``; an out-of-scope division, household or worker is a 404."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, has_division_scope, primary_assignment
from lianfang.core import audit
from lianfang.core.filters import empty_choice_label, form_labels, parameter_label
from lianfang.core.forms import error_lines, field_line, items_line, listing
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import Division, Level
from lianfang.registry import services as registry_services
from lianfang.registry.models import Household
from lianfang.workforce import selectors, services
from lianfang.workforce.filtersets import (
    AssignmentFilterSet,
    DeploymentFilterSet,
    TeamFilterSet,
    WorkerFilterSet,
)
from lianfang.workforce.forms import DivisionDayForm, HandOverForm
from lianfang.workforce.models import (
    Category,
    Deployment,
    ResponsibilityAssignment,
    ResponsibilityLevel,
    Team,
    Worker,
    WorkerCategory,
    active_on_q,
)
from lianfang.workforce.proposals import propose_gap_fill
from lianfang.workforce.sheet import SHEET_COLUMNS, involved_units, render_xlsx, workforce_sheet

PAGE_SIZE = 50
LEVELS = ResponsibilityLevel


def _default_code(user) -> str:
    assignment = primary_assignment(user)
    return assignment.division.code if assignment else settings.LIANFANG_DISTRICT_CODE


def _division_and_day(
    request, *, max_level: int = Level.UNIT, future: bool = False
) -> tuple[Division, dt.date, DivisionDayForm]:
    """The division (``?code=``, default: the user's own) and day (``?on=``, default: today) asked for.

    Raises Http404 when the division is out of the user's scope; ValidationError for malformed input
    and, unless ``future`` (planning pages), for a day after today (DivisionDayForm).
    Codes below ``max_level`` are cut to that level's prefix: a grid worker's sheet is the one of the
    community holding their compound, with only the rows they may see counted (every figure comes
    from ``visible_to``), so there a community that contains part of the user's scope is allowed.
    """
    form = DivisionDayForm(request.GET, future=future)
    if not form.is_valid():
        raise ValidationError(form.errors)
    code = form.cleaned_data["code"] or _default_code(request.user)
    lengths = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12}
    if max_level in lengths and len(code) > lengths[max_level]:
        code = code[: lengths[max_level]]
    division = Division.objects.visible_to(request.user).filter(code=code).first()
    if (
        division is None
        and max_level in lengths
        and len(code) == lengths[Level.COMMUNITY]
        and any(root.startswith(code) for root in scope_for(request.user).codes)
    ):
        division = Division.objects.filter(code=code).first()
    if division is None:
        raise Http404
    return division, form.cleaned_data["on"] or timezone.localdate(), form


def query_labels() -> dict:
    """The labels of the workforce pages' own query parameters (``code``, ``on``: DivisionDayForm;
    ``level``, ``kind``), by which a 400 page names them."""
    return {**form_labels(DivisionDayForm()), "level": _("Level"), "kind": _("Kind")}


def _bad_request(request, error: ValidationError, labels: dict | None = None):
    """A 400 page listing ``error``'s messages, each after the query parameter it is about by its
    label, the name in brackets (core.filters.parameter_label: ``Date (on): …``; zh-Hans
    ``日期（on）：…``, core.forms.field_line); ``labels`` (a filter form's, core.filters.form_labels)
    add to :func:`query_labels`."""
    if hasattr(error, "error_dict"):
        names = {**query_labels(), **(labels or {})}
        lines = [
            field_line(parameter_label(name, names.get(name)), message)
            for name, errs in error.message_dict.items()
            for message in errs
        ]
    else:
        lines = error.messages
    return render(request, "workforce/error.html", {"errors": lines}, status=400)


PROBLEM_KINDS = (
    ("outside", gettext_lazy("people responsible outside their scope")),
    ("overloaded", gettext_lazy("overloaded representatives")),
)
GAP_LEVELS = tuple((str(value), label) for value, label in LEVELS.choices)
UNIT_LEVELS = ((str(Level.COMMUNITY), Level.COMMUNITY.label), (str(Level.COMPOUND), Level.COMPOUND.label))


def _query_choice(request, name: str, choices, default: str) -> str:
    """The query parameter ``name`` (``default`` when absent or empty), one of ``choices`` (pairs of
    value and translated label). Raises ValidationError ``{name: [message]}`` naming the value and the
    allowed ones in words, e.g. “zz” is not one of the choices: outside (people responsible outside
    their scope), overloaded (overloaded representatives)."""
    value = (request.GET.get(name) or "").strip() or default
    if value in dict(choices):
        return value
    allowed = listing(_("%(value)s (%(label)s)") % {"value": key, "label": label} for key, label in choices)
    message = _("“%(value)s” is not one of the choices: %(allowed)s") % {"value": value[:40], "allowed": allowed}
    raise ValidationError({name: [message]})


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _filtered_list(request, filterset_class, queryset, template: str, **context):
    """Render ``template`` with ``filterset`` and the current ``page`` of its rows; 400 naming the bad
    filter values when the query string does not validate."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if not filterset.is_valid():
        return _bad_request(request, ValidationError(filterset.errors), form_labels(filterset.form))
    return render(request, template, {"filterset": filterset, "page": _page(request, filterset.qs), **context})


def _query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)


# ---------------------------------------------------------------------------------------------- hub


@login_required
def index(request):
    """The workforce hub: the signed-in person's own responsibilities (a household representative's
    households with their chains) and links to the sheet, grid and lists."""
    worker = Worker.objects.filter(user=request.user).first()
    mine = None
    if worker is not None:
        mine = _page(
            request,
            ResponsibilityAssignment.objects.visible_to(request.user)
            .filter(worker=worker)
            .active_on(timezone.localdate())
            .select_related("household", "division")
            .order_by("level", "path", "id"),
        )
    return render(
        request,
        "workforce/index.html",
        {
            "worker": worker,
            "mine": mine,
            "manages": can(request.user, Capability.MANAGE_WORKFORCE),
            "has_scope": has_division_scope(request.user),
        },
    )


# -------------------------------------------------------------------------------------------- sheet


@login_required
def sheet(request):
    """The daily workforce sheet of a district, street or community as of a day; every figure links to
    the list behind it."""
    try:
        division, day, form = _division_and_day(request, max_level=Level.COMMUNITY)
    except ValidationError as exc:
        return _bad_request(request, exc)
    if division.level < Level.DISTRICT:
        raise Http404
    data = workforce_sheet(user=request.user, division=division, on=day)
    return render(
        request,
        "workforce/sheet.html",
        {
            "division": division,
            "day": day,
            "form": form,
            "sheet": data,
            "columns": SHEET_COLUMNS,
            "lines": _sheet_lines(data, day, division),
            "sentence": data.sentence(),
        },
    )


def _visible_crumbs(user, division: Division) -> list[Division]:
    """The ancestors of ``division`` from the district down that ``user`` may open (no breadcrumb
    leads to a 404 for a grid worker or volunteer scoped to a compound)."""
    ancestors = [a for a in division.ancestors() if a.level >= Level.DISTRICT]
    visible = set(
        Division.objects.visible_to(user).filter(code__in=[a.code for a in ancestors]).values_list("code", flat=True)
    )
    return [a for a in ancestors if a.code in visible]


def _sheet_lines(data, day: dt.date, division: Division) -> list[dict]:
    """Rows for the template with the drill-down URL of every figure; rows above the page's
    ``division`` (the street of a community-cut sheet) get no community/compound links, since that
    list would not open for the user."""
    workers_url, units_url = reverse("workforce:workers"), reverse("workforce:sheet_units")
    on = day.isoformat()
    lines = []

    def line(kind, row):
        code = row.division.code
        below = len(code) >= len(division.code)
        cells = []
        for column in SHEET_COLUMNS:
            query = _query(deployed_within=code, on=on, category=list(column.categories))
            cells.append((column, row.counts[column.key], f"{workers_url}?{query}"))
        lines.append(
            {
                "kind": kind,
                "row": row,
                "communities_url": below and f"{units_url}?{_query(code=code, on=on, level=Level.COMMUNITY)}",
                "compounds_url": below and f"{units_url}?{_query(code=code, on=on, level=Level.COMPOUND)}",
                "cells": cells,
            }
        )

    for block in data.streets:
        line("street", block.row)
        for community in block.communities:
            line("community", community)
    line("total", data.totals)
    return lines


@login_required
def sheet_export(request):
    """The sheet as XLSX in the page's layout (counts only, no personal data); audited as
    ``workforce.sheet_export`` (a sheet of counts downloaded), never as ``export`` (personal data)."""
    try:
        division, day, _form = _division_and_day(request, max_level=Level.COMMUNITY)
    except ValidationError as exc:
        return _bad_request(request, exc)
    data = workforce_sheet(user=request.user, division=division, on=day)
    audit.record(
        actor=request.user,
        action="workforce.sheet_export",  # counts only: not "export" (exported personal data)
        object_type="workforce.sheet",
        object_id=division.code,
        division_code=division.code,
        detail={"on": day.isoformat(), "format": "xlsx"},
    )
    response = HttpResponse(
        render_xlsx(data), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="workforce-{division.code}-{day.isoformat()}.xlsx"'
    return response


@login_required
def sheet_units(request):
    """The communities (``level=5``) or compounds (``level=6``) counted by the sheet of ``code`` on ``on``."""
    try:
        division, day, _form = _division_and_day(request, max_level=Level.COMMUNITY)
        level = int(_query_choice(request, "level", UNIT_LEVELS, str(Level.COMMUNITY)))
    except ValidationError as exc:
        return _bad_request(request, exc)
    units = involved_units(user=request.user, division=division, on=day, level=level).select_related("parent")
    return render(
        request,
        "workforce/sheet_units.html",
        {"division": division, "day": day, "level": level, "units": _page(request, units)},
    )


# ------------------------------------------------------------------------------------------ the grid


@login_required
def coverage(request):
    """Coverage of the responsibility grid under a division on a day: households and units with nobody
    responsible at each level, people responsible outside their scope, overloaded representatives."""
    try:
        division, day, form = _division_and_day(request)
        report = selectors.coverage(user=request.user, division=division, on=day)
    except ValidationError as exc:
        return _bad_request(request, exc)
    return render(
        request,
        "workforce/coverage.html",
        {
            "division": division,
            "day": day,
            "form": form,
            "report": report,
            "levels": [LEVELS.L1, LEVELS.L2, LEVELS.L3],
            "can_manage": can(request.user, Capability.MANAGE_WORKFORCE, division.code),
            "crumbs": _visible_crumbs(request.user, division),
        },
    )


@login_required
def gaps(request):
    """The list behind a gap figure: households without a representative (``level=4``) or the units
    with nobody responsible at level 1-3."""
    try:
        division, day, _form = _division_and_day(request)
        level = int(_query_choice(request, "level", GAP_LEVELS, str(LEVELS.L4)))
    except ValidationError as exc:
        return _bad_request(request, exc)
    context = {"division": division, "day": day, "level": LEVELS(level)}
    if level == LEVELS.L4:
        qs = selectors.households_without_representative(user=request.user, code=division.code, on=day)
        context["households"] = _page(request, qs)
    else:
        context["units"] = selectors.unit_gaps(user=request.user, division=division, level=level, on=day)
    return render(request, "workforce/gaps.html", context)


@login_required
def problems(request):
    """People responsible outside their scope (``kind=outside``) or overloaded representatives
    (``kind=overloaded``) under a division on a day; any other kind is a 400 naming it and the two
    allowed in words."""
    try:
        division, day, _form = _division_and_day(request)
        kind = _query_choice(request, "kind", PROBLEM_KINDS, "outside")
    except ValidationError as exc:
        return _bad_request(request, exc)
    context = {"division": division, "day": day, "kind": kind}
    if kind == "outside":
        context["assignments"] = _page(
            request, selectors.outside_scope_assignments(user=request.user, code=division.code, on=day)
        )
    else:
        try:
            context["threshold"] = selectors.rules_on(day).overload_threshold
        except ValidationError as exc:
            return _bad_request(request, exc)
        context["overloaded"] = selectors.overloaded_representatives(user=request.user, code=division.code, on=day)
    return render(request, "workforce/problems.html", context)


@login_required
def proposal(request):
    """The gap-fill proposal for a division on a day (GET) and its confirmation (POST, needs the
    MANAGE_WORKFORCE capability there): nothing is assigned until a person confirms the ticked lines.
    A planning page: ``on`` may be a day to come (assignments then start on it); after confirming
    such a day the answer is that day's proposal again (what is left), not the coverage page, which
    shows no day to come."""
    try:
        division, day, form = _division_and_day(request, future=True)  # planning: days to come too
    except ValidationError as exc:
        return _bad_request(request, exc)
    can_manage = can(request.user, Capability.MANAGE_WORKFORCE, division.code)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(denied_message(Capability.MANAGE_WORKFORCE, division.code))
        try:
            items = [services.GapFill.parse(token) for token in request.POST.getlist("item")]
            created = services.gap_fill_confirm(actor=request.user, items=items, on=day, allowed_code=division.code)
        except ValidationError as exc:
            messages.error(request, items_line(exc.messages))
            return redirect(f"{reverse('workforce:proposal')}?{_query(code=division.code, on=day.isoformat())}")
        n = len(created)
        messages.success(request, ngettext("%(n)d assignment created.", "%(n)d assignments created.", n) % {"n": n})
        if day > timezone.localdate():  # coverage shows no day to come: what is left to fill on that day
            return redirect(f"{reverse('workforce:proposal')}?{_query(code=division.code, on=day.isoformat())}")
        return redirect(f"{reverse('workforce:coverage')}?{_query(code=division.code, on=day.isoformat())}")
    try:
        lines = propose_gap_fill(user=request.user, division=division, on=day)
    except ValidationError as exc:
        return _bad_request(request, exc)
    return render(
        request,
        "workforce/proposal.html",
        {
            "division": division,
            "day": day,
            "form": form,
            "lines": lines,
            "can_manage": can_manage,
            # the coverage of that day, or of today for a day to come (coverage refuses future days)
            "coverage_url": f"{reverse('workforce:coverage')}?"
            + _query(code=division.code, on=min(day, timezone.localdate()).isoformat()),
        },
    )


@login_required
def household_chain(request, pk: int):
    """A household's chain of responsibility (L4 → L1) on a day with phones masked, its L4 history, and
    (with MANAGE_WORKFORCE) a form to assign or hand over its representative. ``?on=`` (YYYY-MM-DD,
    default today) that is not a date is a 400 naming it; a day to come is shown (the chain after a
    scheduled hand-over)."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("community", "compound", "building"), pk=pk
    )
    form = DivisionDayForm(request.GET, future=True)  # the chain after a scheduled hand-over
    if not form.is_valid():
        return _bad_request(request, ValidationError(form.errors))
    day = form.cleaned_data["on"] or timezone.localdate()
    can_manage = can(request.user, Capability.MANAGE_WORKFORCE, household.path)
    hand_over = HandOverForm(initial={"on": timezone.localdate()})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(denied_message(Capability.MANAGE_WORKFORCE, household.path))
        hand_over = HandOverForm(request.POST)
        if hand_over.is_valid():
            try:
                _assign_representative(request, household, hand_over.cleaned_data)
            except ValidationError as exc:
                hand_over.add_error(None, exc.messages)
            else:
                messages.success(request, _("Representative updated."))
                return redirect("workforce:household", pk=household.pk)
    chain = selectors.responsibility_chain(household, on=day)
    history = (
        ResponsibilityAssignment.objects.visible_to(request.user)
        .filter(household=household)
        .select_related("worker")
        .order_by("-starts_on", "-id")
    )
    candidates = []
    if can_manage:
        area = household.compound.code if household.compound else household.community.code
        candidates = (
            Worker.objects.visible_to(request.user)
            .within(area)
            .filter(categories__category=Category.HOUSEHOLD_REPRESENTATIVE)
            .annotate(
                load=Count(
                    "assignments",
                    filter=Q(assignments__level=LEVELS.L4) & active_on_q(timezone.localdate(), "assignments__"),
                )
            )
            .order_by("path", "name")[:200]
        )
        places = dict(Division.objects.filter(code__in={w.path for w in candidates}).values_list("code", "name"))
        candidates = [(w, places.get(w.path, w.path)) for w in candidates]
    return render(
        request,
        "workforce/household_chain.html",
        {
            "household": household,
            "day": day,
            "chain": chain,
            "history": history,
            "can_manage": can_manage,
            "can_reveal": can(request.user, Capability.REVEAL_PII, household.path),
            "hand_over": hand_over,
            "hand_over_errors": error_lines(hand_over),
            "candidates": candidates,
        },
        status=400 if hand_over.errors else 200,
    )


def _assign_representative(request, household: Household, data: dict) -> None:
    worker = Worker.objects.visible_to(request.user).filter(pk=data["to_worker"]).first()
    if worker is None:
        raise ValidationError(_("worker %s not found in your scope") % data["to_worker"])
    current = (
        ResponsibilityAssignment.objects.filter(household=household, level=LEVELS.L4).active_on(data["on"]).first()
    )
    if current is None:
        services.assignment_create(
            actor=request.user, level=LEVELS.L4, worker=worker, households=[household], starts_on=data["on"]
        )
    else:
        services.assignment_hand_over(
            actor=request.user, assignments=[current], to_worker=worker, on=data["on"], reason=data["reason"]
        )


# -------------------------------------------------------------------------------------------- lists


def _workers_qs(user):
    return (
        Worker.objects.visible_to(user)
        .select_related("base_division")
        .prefetch_related(Prefetch("categories", queryset=WorkerCategory.objects.order_by("category")))
        .order_by("path", "name", "id")
    )


@login_required
def workers(request):
    """Workers in scope with the shared filters (category, within, deployed_within + on, q). Filtered
    by name (``q``: rows with masked phones) it is a people search, audited once
    (registry.services.record_search, ``page:workforce.workers``: the query masked, the number found)."""
    filterset = WorkerFilterSet(request.GET, queryset=_workers_qs(request.user), request=request)
    if not filterset.is_valid():
        return _bad_request(request, ValidationError(filterset.errors), form_labels(filterset.form))
    page = _page(request, filterset.qs)
    registry_services.record_search(
        actor=request.user,
        params={"q": request.GET.get("q") or ""},
        results=page.paginator.count,
        where="page:workforce.workers",
    )
    # the category select is written out (one choice, the filter takes several); its empty choice
    # reads as every other filter's: "Any category" / "全部类别"
    any_category = empty_choice_label(filterset.filters["category"])
    context = {"filterset": filterset, "page": page, "categories": Category.choices, "any_category": any_category}
    return render(request, "workforce/workers.html", context)


@login_required
def worker_detail(request, pk: int):
    """One worker: categories, deployments, assignments, teams; phone and ID masked."""
    worker = get_object_or_404(_workers_qs(request.user), pk=pk)
    return render(
        request,
        "workforce/worker_detail.html",
        {
            "worker": worker,
            "deployments": worker.deployments.select_related("division").order_by("-starts_on"),
            "assignments": _page(
                request,
                ResponsibilityAssignment.objects.visible_to(request.user)
                .filter(worker=worker)
                .select_related("division", "household")
                .order_by("-ends_on", "level", "path", "id"),
            ),
            "teams": Team.objects.visible_to(request.user).filter(members=worker),
            "can_reveal": _can_reveal(request.user, worker),
        },
    )


def _can_reveal(user, worker: Worker) -> bool:
    codes = {worker.path, *worker.deployments.values_list("path", flat=True)}
    codes |= set(worker.assignments.values_list("path", flat=True)[:50])
    return any(can(user, Capability.REVEAL_PII, code) for code in codes)


@login_required
@require_POST
def reveal(request, pk: int, field: str):
    """The unmasked phone or ID number of a worker (audited); 404 out of scope, 403 without REVEAL_PII."""
    if field not in ("phone", "id"):
        return HttpResponseBadRequest(_("unknown field %(field)s: ask for phone or id") % {"field": field})
    worker = get_object_or_404(Worker.objects.visible_to(request.user), pk=pk)
    if not _can_reveal(request.user, worker):
        raise PermissionDenied(denied_message(Capability.REVEAL_PII, worker.path))
    value = registry_services.reveal(actor=request.user, obj=worker, field=field, reason=request.POST.get("reason", ""))
    return HttpResponse(format_html('<span class="pii" data-testid="revealed">{}</span>', value))


@login_required
def teams(request):
    """Teams in scope with member counts."""
    queryset = (
        Team.objects.visible_to(request.user)
        .select_related("base_division", "leader")
        .annotate(size=Count("members"))
        .order_by("path", "name")
    )
    return _filtered_list(request, TeamFilterSet, queryset, "workforce/teams.html")


@login_required
def team_detail(request, pk: int):
    """One team: leader, duties and members."""
    team = get_object_or_404(Team.objects.visible_to(request.user).select_related("base_division", "leader"), pk=pk)
    members = team.members.prefetch_related("categories").order_by("name", "id")
    return render(request, "workforce/team_detail.html", {"team": team, "members": members})


@login_required
def deployments(request):
    """Deployments in scope (filters: within, worker, on)."""
    queryset = (
        Deployment.objects.visible_to(request.user)
        .select_related("worker", "division")
        .order_by("path", "-starts_on", "id")
    )
    return _filtered_list(request, DeploymentFilterSet, queryset, "workforce/deployments.html")


@login_required
def assignments(request):
    """Responsibility assignments in scope (filters: level, within, worker, household, on, current)."""
    queryset = (
        ResponsibilityAssignment.objects.visible_to(request.user)
        .select_related("worker", "division", "household")
        .order_by("level", "path", "-starts_on", "id")
    )
    return _filtered_list(request, AssignmentFilterSet, queryset, "workforce/assignments.html")
