"""Screening pages: rounds, the sampling desk (phone, scanner, offline queue), coverage, results,
positive-pool follow-ups and the pool-size advisor. Every row comes from
``Model.objects.visible_to(request.user)``; an out-of-scope round, desk, task or follow-up is a 404."""

from __future__ import annotations

import hashlib
import json
import threading
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, has_division_scope, primary_assignment
from lianfang.conf import env_int
from lianfang.core.filters import (
    BadQuery,
    answers_bad_query,
    bad_query_response,
    form_errors,
    normalize_code,
    query_id,
    query_scoped_code,
)
from lianfang.core.forms import error_lines, field_line, items_line
from lianfang.divisions.models import Division, Level
from lianfang.divisions.selectors import place_name
from lianfang.registry.models import Household
from lianfang.registry.selectors import search_residents
from lianfang.registry.services import record_search
from lianfang.screening import advisor, selectors
from lianfang.screening.forms import AdvisorForm, DeskForm, ExemptForm, ResultUploadForm, RoundForm, SiteForm
from lianfang.screening.importers import check_result_file_size, read_result_file
from lianfang.screening.models import (
    TUBE_CAPACITY,
    FollowUpStatus,
    Notice,
    PoolFollowUp,
    PoolFollowUpStep,
    ResultException,
    ResultImport,
    RoundMember,
    SamplingDesk,
    SamplingSite,
    SamplingTask,
    TaskStatus,
    TestingRound,
    Tube,
)
from lianfang.screening.services import rounds as round_services
from lianfang.screening.services.base import echo, mask_name, out_of_reach, rules
from lianfang.screening.services.desk import desk_submit
from lianfang.screening.services.follow_ups import follow_up_step_done
from lianfang.screening.services.results import exception_resolve, results_record
from lianfang.screening.services.sampling import pickable_residents
from lianfang.screening.services.scans import household_qr_payload

# Load shedding on the desk path: at most this many submissions run at once in one server process;
# the rest get 503 with Retry-After at once instead of queueing until they time out.
DESK_CONCURRENCY = env_int("LIANFANG_DESK_CONCURRENCY", 4)
RETRY_AFTER_SECONDS = 2
_desk_slots = threading.BoundedSemaphore(DESK_CONCURRENCY)


def shed_load(view):
    """Run ``view`` in one of DESK_CONCURRENCY slots; answer 503 + Retry-After when none frees within
    0.25 s or when the database is overloaded (OperationalError), never a 500."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _desk_slots.acquire(timeout=0.25):
            return _busy()
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            return _busy()
        finally:
            _desk_slots.release()

    return wrapper


def _busy() -> JsonResponse:
    response = JsonResponse(
        {"status": "busy", "code": "busy", "message": _("Server busy: retrying shortly")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _page(request, template: str, context: dict) -> HttpResponse:
    """Render a page with the screening tabs (_tabs.html): ``division_scope`` says whether the
    division pages (the missed-people list) open for the caller (accounts.selectors.has_division_scope:
    not for a household representative)."""
    return render(request, template, {**context, "division_scope": has_division_scope(request.user)})


def _home_code(user) -> str:
    assignment = primary_assignment(user)
    return assignment.division.code if assignment else settings.LIANFANG_DISTRICT_CODE


# --------------------------------------------------------------------------------------------- rounds


@login_required
def index(request):
    """Rounds in scope, overdue follow-up steps and overdue results (the district's screening page)."""
    rounds = TestingRound.objects.visible_to(request.user).select_related("district").order_by("-opened_at", "-id")[:50]
    return _page(
        request,
        "screening/index.html",
        {
            "rounds": rounds,
            "overdue_steps": selectors.overdue_steps(user=request.user, limit=50),
            "overdue_results": selectors.overdue_results(user=request.user, limit=50),
            "open_follow_ups": PoolFollowUp.objects.visible_to(request.user).filter(status=FollowUpStatus.OPEN).count(),
            "can_run": can(request.user, Capability.RUN_ROUNDS),
            "home_code": _home_code(request.user),
        },
    )


@login_required
def round_new(request):
    """Open a round over division codes or a control area (RUN_ROUNDS)."""
    if not can(request.user, Capability.RUN_ROUNDS):
        raise PermissionDenied
    form = RoundForm(request.POST or None)
    if request.method == "POST":
        # the places are checked whatever else is wrong, so every bad field is named at once
        # full-width digits, commas and spaces of a Chinese input method read as plain ones (NFKC)
        codes = [c for c in normalize_code(request.POST.get("codes", "")).replace(",", " ").split() if c]
        nodes = list(Division.objects.visible_to(request.user).filter(code__in=codes))
        missing = set(codes) - {n.code for n in nodes}
        if missing:
            form.add_error("codes", _("unknown or out of scope: %(codes)s") % {"codes": ", ".join(sorted(missing))})
    if request.method == "POST" and form.is_valid():
        try:
            rnd = round_services.round_open(
                actor=request.user,
                name=form.cleaned_data["name"],
                nodes=nodes,
                control_area_id=form.cleaned_data["control_area"],
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            n = rnd.expected_people
            opened = ngettext("Round opened: %(n)d person expected", "Round opened: %(n)d people expected", n)
            messages.success(request, opened % {"n": n})
            return redirect("screening:round", pk=rnd.pk)
    return _page(request, "screening/round_new.html", {"form": form, "home_code": _home_code(request.user)})


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _round(request, pk: int) -> TestingRound:
    return get_object_or_404(TestingRound.objects.visible_to(request.user).select_related("district"), pk=pk)


@login_required
@answers_bad_query
def round_detail(request, pk: int):
    """A round: progress, coverage by place, sites and desks, tasks; forms to add sites and desks.
    A ``within`` that is malformed or names a division the user does not reach (unknown, another
    community) is a 400 page naming it (selectors.within_code)."""
    rnd = _round(request, pk)
    can_run = can(request.user, Capability.RUN_ROUNDS, rnd.path)
    if request.method == "POST":
        if not can_run:
            raise PermissionDenied
        return _round_post(request, rnd)
    within = selectors.within_code(request.user, request.GET)
    by = selectors.child_level(within or rnd.path)
    rows, totals = selectors.coverage(user=request.user, round=rnd, within=within, by=by)
    sites = (
        SamplingSite.objects.visible_to(request.user)
        .filter(round=rnd)
        .prefetch_related("desks")
        .order_by("path", "name")
    )
    tasks = dict(
        SamplingTask.objects.visible_to(request.user)
        .filter(round=rnd, status=TaskStatus.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return _page(
        request,
        "screening/round_detail.html",
        {
            "round": rnd,
            "rows": rows,
            "totals": totals,
            "within": within,
            "by": by,
            "sites": sites,
            "tasks": tasks,
            "tubes": selectors.tube_counts(user=request.user, round=rnd),
            "progress": selectors.progress(user=request.user, round=rnd)[-24:],
            "can_run": can_run,
            "site_form": SiteForm(initial={"code": rnd.path}),
            "desk_form": DeskForm(),
        },
    )


def _round_post(request, rnd: TestingRound):
    action = request.POST.get("action")
    try:
        if action == "site":
            form = SiteForm(request.POST)
            if not form.is_valid():
                raise ValidationError(error_lines(form))
            code = form.cleaned_data["code"]
            division = Division.objects.visible_to(request.user).filter(code=code).first()
            if division is None:  # unknown or out of scope: the same words naming the code, never a bare 404
                unknown = _("unknown or out of scope: %(codes)s") % {"codes": code}
                raise ValidationError(field_line(form.fields["code"].label, unknown))
            round_services.site_create(
                actor=request.user,
                round=rnd,
                name=form.cleaned_data["name"],
                division=division,
                planned_people=form.cleaned_data["planned_people"],
            )
        elif action == "desk":
            form = DeskForm(request.POST)
            if not form.is_valid():
                raise ValidationError(error_lines(form))
            site = SamplingSite.objects.visible_to(request.user).filter(pk=form.cleaned_data["site"], round=rnd).first()
            if site is None:  # unknown, out of scope or another round's: named, never a bare 404
                label = _("Sampling site")
                raise ValidationError(field_line(label, out_of_reach(form.cleaned_data["site"])))
            round_services.desk_create(
                actor=request.user,
                site=site,
                name=form.cleaned_data["name"],
                mode=form.cleaned_data["mode"],
                capacity_per_hour=form.cleaned_data["capacity_per_hour"],
            )
        elif action == "close":
            round_services.round_close(actor=request.user, round=rnd)
        elif action == "sync":
            result = round_services.round_members_sync(actor=request.user, round=rnd)
            messages.info(request, _("Added %(added)d, removed %(removed)d") % result)
        else:
            raise ValidationError(_("Unknown action “%(value)s”: nothing was changed.") % {"value": echo(action or "")})
    except ValidationError as exc:
        messages.error(request, items_line(exc.messages))
    return redirect("screening:round", pk=rnd.pk)


@login_required
@answers_bad_query
def coverage(request, pk: int):
    """Coverage of a round by building, compound or community and by responsible person, with the
    missed people (masked) and their household representative, under ``?within=`` (or ``?code=``, as on
    the other coverage pages). An unknown ``by`` is a 400 page naming the value and the allowed
    groupings (selectors.coverage_grouping); a malformed, unknown or out-of-scope code a 400 page
    naming it (selectors.within_code; never silently the user's own area)."""
    rnd = _round(request, pk)
    within = selectors.within_code(request.user, request.GET, alias="code")  # 400 malformed or out of scope
    by = selectors.coverage_grouping(request.GET, within or rnd.path)
    rows, totals = selectors.coverage(user=request.user, round=rnd, within=within, by=by)
    return _page(
        request,
        "screening/coverage.html",
        {
            "round": rnd,
            "rows": rows,
            "totals": totals,
            "within": within,
            "by": by,
            "levels": list(selectors.LEVEL_LENGTHS),
            "responsible": selectors.coverage_by_responsible(user=request.user, round=rnd, within=within),
            "missed": selectors.missed_people(user=request.user, round=rnd, within=within),
            "exempt_form": ExemptForm(),
            "can_run": can(request.user, Capability.RUN_ROUNDS, within or rnd.path),
        },
    )


@login_required
@require_POST
def member_exempt(request, pk: int):
    """Exempt (or un-exempt) a member of a round; out of scope → 404."""
    member = get_object_or_404(RoundMember.objects.visible_to(request.user), pk=pk)
    form = ExemptForm(request.POST)
    if form.is_valid():
        try:
            round_services.member_exempt(
                actor=request.user,
                member=member,
                exemption=form.cleaned_data["exemption"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, items_line(exc.messages))
    return redirect(f"{_url('screening:coverage', member.round_id)}?within={member.path[:15]}")


def _url(name, *args):
    from django.urls import reverse  # noqa: PLC0415

    return reverse(name, args=args)


@login_required
@answers_bad_query
def missed_repeatedly(request):
    """People missed in one or more of the last N rounds under a division (``code``, default the
    caller's own). ``n`` (1-20, default the rule set's window) out of range or not a whole number is a
    400 page naming it (:func:`_rounds_back`), and so is a ``code`` that is not 1-20 digits or names a
    division holding nothing the caller may see (core.filters.query_scoped_code, as on every list); a
    code above the caller's scope lists their part of it. No ``code`` and no division of one's own: 404."""
    code = query_scoped_code(request.user, request.GET, "code")
    if code:
        division = Division.objects.get(code=code)  # reached (query_scoped_code): it exists
    else:
        division = get_object_or_404(Division.objects.visible_to(request.user), code=_home_code(request.user))
    n = _rounds_back(request.GET)
    rounds, people = selectors.missed_repeatedly(user=request.user, code=division.code, n=n)
    return _page(
        request,
        "screening/missed.html",
        {"division": division, "rounds": rounds, "people": people, "n": n},
    )


MAX_ROUNDS_BACK = 20


def _rounds_back(params) -> int:
    """``n`` of the missed-people page: how many recent rounds (1 … :data:`MAX_ROUNDS_BACK`), the
    rule set's ``missed_rounds_window`` when absent. Raises BadQuery naming ``n`` and the value for
    anything else (``abc``, ``-5``, ``0``, ``21``): never clamped or ignored."""
    raw = (params.get("n") or "").strip()
    if not raw:
        return rules().missed_rounds_window
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_ROUNDS_BACK):
        message = _("“%(value)s” is not a number of rounds from 1 to %(most)d")
        raise BadQuery({"n": [message % {"value": raw, "most": MAX_ROUNDS_BACK}]}, {"n": _("Last N rounds")})
    return int(raw)


@login_required
@answers_bad_query
def tasks(request, pk: int):
    """Door-to-door tasks of a round (sealed buildings, home visits, re-sampling, retests), open ones
    unless ``status`` says otherwise; an unknown ``status`` is a 400 page naming it."""
    rnd = _round(request, pk)
    qs = (
        SamplingTask.objects.visible_to(request.user)
        .filter(round=rnd)
        .select_related("team", "resident", "household", "division")
        .order_by("status", "due_at", "path", "id")
    )
    status = request.GET.get("status") or TaskStatus.OPEN
    if status not in TaskStatus.values:
        message = _("“%(value)s” is not a task status (allowed: %(allowed)s)")
        allowed = selectors.allowed_names(TaskStatus.choices)  # by their names in the reader's language
        raise BadQuery({"status": [message % {"value": status[:40], "allowed": allowed}]}, {"status": _("Status")})
    qs = qs.filter(status=status)
    return _page(request, "screening/tasks.html", {"round": rnd, "tasks": qs[:300], "status": status})


# --------------------------------------------------------------------------------------------- the desk


def _station(request, kind: str, pk: int):
    if kind not in ("desk", "task"):
        raise Http404
    if kind == "desk":
        desk = get_object_or_404(SamplingDesk.objects.visible_to(request.user).select_related("site", "round"), pk=pk)
        return desk, None
    task = get_object_or_404(SamplingTask.objects.visible_to(request.user).select_related("round", "division"), pk=pk)
    return None, task


@login_required
def station(request, kind: str, pk: int):
    """The sampling page of a desk or a door-to-door task (phone-sized; keyboard-wedge scanners and
    typed IDs; the browser queues submissions while offline, static/screening/desk.js)."""
    desk, task = _station(request, kind, pk)
    st = desk or task
    open_tube = (
        Tube.objects.filter(desk=desk, task=task, status="open").order_by("-opened_at").first()
        if (desk or task)
        else None
    )
    recent = Tube.objects.filter(desk=desk, task=task).exclude(status="open").order_by("-closed_at", "-id")[:10]
    return render(
        request,
        "screening/station.html",
        {
            "desk": desk,
            "task": task,
            "station": st,
            "round": st.round,
            "kind": kind,
            "open_tube": open_tube,
            "recent": recent,
            "capacity": TUBE_CAPACITY.get(st.mode),
            "place": place_name(task.division.code, below=Level.STREET) if task else "",
            "can_sample": can(request.user, Capability.FIELD_WORK, st.path)
            or can(request.user, Capability.RUN_ROUNDS, st.path),
        },
    )


@login_required
@require_POST
@shed_load
def station_submit(request, kind: str, pk: int):
    """One JSON submission from the desk page: ``{"key", "kind", "value", "tube", "at", ...}`` (see
    services.desk.desk_submit). 201/200 on success, 409 refused (stored, replayed on retry), 400 unreadable
    (not stored: desk.js drops and reports a 400 as it does a 409), 403 without
    FIELD_WORK, 404 out of scope, 503 + Retry-After when the server sheds load."""
    desk, task = _station(request, kind, pk)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"status": "refused", "code": "bad_input", "message": _("Malformed JSON")}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"status": "refused", "code": "bad_input", "message": _("Malformed JSON")}, status=400)
    try:
        status, body = desk_submit(actor=request.user, desk=desk, task=task, payload=payload)
    except PermissionDenied as exc:
        return JsonResponse({"status": "refused", "code": "forbidden", "message": str(exc)}, status=403)
    return JsonResponse(body, status=status)


@login_required
def station_search(request, kind: str, pk: int):
    """htmx: residents matching a name (or pinyin initials, ID or phone, whole or last digits) to
    pick at the desk (masked ID): only those the desk may register by pick
    (services.sampling.pickable_residents: in scope and in the round). Each search is audited once
    (registry.services.record_search: masked query, people shown; where ``page:screening.station_search``)."""
    desk, task = _station(request, kind, pk)
    query = request.GET.get("q", "")
    people = []
    if query.strip():
        pickable = pickable_residents(user=request.user, round_id=(desk or task).round_id)
        people = search_residents(user=request.user, query=query).filter(pk__in=pickable.values("pk"))
        people = list(people.order_by("name", "id")[:20])
        record_search(
            actor=request.user, params={"q": query}, results=len(people), where="page:screening.station_search"
        )
    return render(request, "screening/_search.html", {"people": people, "mask": mask_name})


@login_required
def household_qr(request, pk: int):
    """The printable QR code (SVG) of a household, for its members to be registered with one scan."""
    import segno  # noqa: PLC0415

    household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
    buffer = __import__("io").BytesIO()
    segno.make(household_qr_payload(household), error="m").save(buffer, kind="svg", scale=4)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


# --------------------------------------------------------------------------------------------- results


@login_required
@answers_bad_query
def results(request):
    """Upload lab results (CSV/XLSX); held lines; results pending longer than 24 h. Resolving a held
    line (POST ``resolve``: its id) that is not an id is a 400 page naming it; out of scope, a 404.
    A file over importers.MAX_RESULT_FILE_BYTES or services.results.MAX_RESULT_LINES is refused with a
    message naming the limit and the file's size (nothing recorded).

    A user without RUN_ROUNDS anywhere (a grid worker, a volunteer at a desk, a household
    representative) is refused any POST before the file is read: PermissionDenied (the 403 page) with
    :func:`result_import_refusal`; on GET the page shows them that sentence instead of the form."""
    can_run = can(request.user, Capability.RUN_ROUNDS)
    if request.method == "POST" and not can_run:
        raise PermissionDenied(result_import_refusal(request.user))
    form = ResultUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        resolve = query_id(request.POST, "resolve", _("Held line"))
        if resolve is not None:
            exception = get_object_or_404(ResultException.objects.visible_to(request.user), pk=resolve)
            try:
                exception_resolve(actor=request.user, exception=exception, note=request.POST.get("note", ""))
            except ValidationError as exc:
                messages.error(request, items_line(exc.messages))
            return redirect("screening:results")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_result_file_size(upload.name, upload.size)  # before reading it into memory
                data = upload.read()
                lines = read_result_file(data, upload.name)
                batch = results_record(
                    actor=request.user,
                    lines=lines,
                    path=_home_code(request.user),
                    file_name=form.cleaned_data["file"].name,
                    file_sha256=hashlib.sha256(data).hexdigest(),
                    lab=form.cleaned_data["lab"],
                )
            except ValidationError as exc:
                messages.error(request, items_line(exc.messages))
            else:
                messages.success(
                    request,
                    _("%(lines)d lines: %(applied)d applied, %(unchanged)d already recorded, %(held)d held")
                    % batch.counts,
                )
                return redirect("screening:results")
    held = (
        ResultException.objects.visible_to(request.user)
        .filter(status="held")
        .select_related("tube", "batch")
        .order_by("-created_at", "-id")[:200]
    )
    return _page(
        request,
        "screening/results.html",
        {
            "form": form,
            "can_run": can_run,
            "import_refusal": "" if can_run else result_import_refusal(request.user),
            "held": held,
            "imports": ResultImport.objects.visible_to(request.user).order_by("-created_at", "-id")[:10],
            "overdue": selectors.overdue_results(user=request.user),
        },
    )


def result_import_refusal(user) -> str:
    """Why ``user`` may not import lab results, in the active language: the refusal of a user without
    RUN_ROUNDS (roles.ROLE_CAPABILITIES: grid workers, volunteers, household representatives), naming
    their place (accounts.selectors.denied_message; the whole city without an assignment) and who
    imports instead. One query at most."""
    assignment = primary_assignment(user)
    refusal = denied_message(
        Capability.RUN_ROUNDS, assignment.division.code if assignment else "", what=_("import lab results")
    )
    return _(
        "%(refusal)s Lab results are imported by community, street or district staff: ask your community's staff."
    ) % {"refusal": refusal}


# --------------------------------------------------------------------------------------------- follow-ups


@login_required
def follow_ups(request):
    """Positive-pool follow-ups in scope, open first, with their overdue steps."""
    qs = (
        PoolFollowUp.objects.visible_to(request.user)
        .select_related("tube", "round")
        .annotate(
            members_n=Count("members", distinct=True),
            isolating=Count("members", filter=Q(members__status="isolating"), distinct=True),
        )
        .order_by("status", "-opened_at", "-id")[:200]
    )
    return _page(request, "screening/follow_ups.html", {"follow_ups": qs, "now": timezone.now()})


@login_required
@answers_bad_query
def follow_up_detail(request, pk: int):
    """A follow-up: members (masked) and their retests, steps with deadlines, notices sent. Marking a
    step done (POST ``step``: its id) with a value that is not an id is a 400 page naming it; a step
    of another follow-up, a 404."""
    fu = get_object_or_404(PoolFollowUp.objects.visible_to(request.user).select_related("tube", "round"), pk=pk)
    if request.method == "POST":
        step_id = query_id(request.POST, "step", _("Step"))
        if step_id is None:
            raise Http404
        step = get_object_or_404(PoolFollowUpStep.objects.filter(follow_up=fu), pk=step_id)
        try:
            follow_up_step_done(actor=request.user, step=step, note=request.POST.get("note", ""))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, items_line(getattr(exc, "messages", [str(exc)])))
        return redirect("screening:follow_up", pk=fu.pk)
    return _page(
        request,
        "screening/follow_up.html",
        {
            "fu": fu,
            "members": fu.members.select_related("household", "retest_tube").order_by("path", "id"),
            "steps": fu.steps.order_by("due_at", "id"),
            "notices": Notice.objects.filter(follow_up=fu).select_related("worker", "household").order_by("-id")[:100],
            "now": timezone.now(),
            "mask": mask_name,
        },
    )


# --------------------------------------------------------------------------------------------- advisor


@login_required
def pool_advisor(request):
    """Dorfman-optimal pool size and, for 5/10/20-in-1, expected tests and temporary isolations per
    1,000 people at the recent positivity (or a prevalence typed in: ``percent``; not a number from
    0.001 to 50 is a 400 page naming it, never silently replaced by the recent positivity)."""
    r = rules()
    form = AdvisorForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return bad_query_response(request, form_errors(form))
    recent = advisor.recent_positivity(user=request.user, days=r.positivity_window_days)
    p = None
    if form.is_bound and form.cleaned_data["percent"]:
        p = form.cleaned_data["percent"] / 100
    elif recent.p is not None:
        p = recent.p
    context = {"form": form, "recent": recent, "p": p}
    if p is not None:
        k = advisor.optimal_k(p)
        context.update(
            {
                "percent": p * 100,
                "optimal_k": k,
                "optimal_e": advisor.tests_per_person(k, p),
                "options": advisor.options(p, r.advisor_pool_sizes),
            }
        )
    return _page(request, "screening/advisor.html", context)
