"""Field-operations pages (mobile first, htmx where a phone benefits, print CSS for posters).

Every row comes from ``Model.objects.visible_to(request.user)``; an out-of-scope detail URL is a
404. Writes call fieldops.services; a ValidationError is shown on the page, PermissionDenied is a
403. The public pages (a notice's poster link, the household QR check-in) need no account: the
random token in the printed QR code is the authority.
"""

from __future__ import annotations

import datetime as dt
import uuid
from io import BytesIO

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability, Role
from lianfang.accounts.selectors import active_assignments, can, primary_assignment
from lianfang.core.filters import (
    MAX_ID,
    BadQuery,
    answers_bad_query,
    bad_query_response,
    query_day,
    query_id,
    query_scoped_code,
    search_text,
)
from lianfang.core.forms import bracketed, error_lines
from lianfang.core.pagination import PageNotFound
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import Division, Level
from lianfang.divisions.selectors import place_name, place_names
from lianfang.fieldops import adapters, briefing, filtersets, forms, selectors
from lianfang.fieldops import rules as field_rules
from lianfang.fieldops.importers import ScreeningImportError, screening_import
from lianfang.fieldops.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ApprovalStatus,
    BulkStatusChange,
    Checkpoint,
    DisinfectionSchedule,
    DutyShift,
    Gate,
    HealthCheckIn,
    HomeMonitoring,
    IdempotencyKey,
    MonitoringStatus,
    Notice,
    NoticeStatus,
    NotificationChannel,
    PassageRecord,
    PatrolRound,
    PatrolStatus,
    QuarantineTest,
    ScreenedPerson,
    TransferOut,
)
from lianfang.fieldops.services import gates, patrols
from lianfang.fieldops.services.alerts import alert_acknowledge, alert_may_acknowledge
from lianfang.fieldops.services.bulk_changes import (
    bulk_status_change_approve,
    bulk_status_change_reject,
    bulk_status_change_request,
)
from lianfang.fieldops.services.disinfection import (
    disinfection_log_record,
    disinfection_schedule_create,
    disinfection_schedules_generate,
)
from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start
from lianfang.fieldops.services.notices import (
    channel_create,
    channel_set_enabled,
    notice_create,
    notice_publish,
    notice_withdraw,
)
from lianfang.fieldops.services.passages import passage_register
from lianfang.fieldops.services.quarantine import (
    contact_exposure_record,
    quarantine_test_record,
    screened_person_set_status,
)
from lianfang.fieldops.services.screened import screened_person_create, screened_person_verify, transfer_out_hand_over
from lianfang.registry.services import record_search
from lianfang.zones.models import TierKey

PAGE_SIZE = 50


# --------------------------------------------------------------------------------------------- helpers


class NotFoundWithReason(PageNotFound):
    """A 404 whose message (translated, naming the value) the reader sees: the project's 404 handler
    (core.views.not_found) renders the message of a core.pagination.PageNotFound on the translated 404
    page, where a plain ``Http404(message)`` shows only the generic sentence."""


def scope_code(request) -> str:
    """The division code a page is about: ``?within=`` (or ``?code=``, the name other apps' pages use)
    when it names a division holding something the user may see (core.scoping.reaches), else the
    user's widest assignment, else the installation's district (superusers); ``""`` for a user
    scoped only to households (a household representative: their rows come from ``visible_to``).

    Raises BadQuery (a 400 page naming parameter and value, as every ``within`` does:
    core.filters.query_scoped_code) for a value that is not a division code or names a division the
    user does not reach (unknown, another community) — never silently the user's own place.
    """
    for name in ("within", "code"):
        wanted = query_scoped_code(request.user, request.GET, name)
        if wanted:
            return wanted
    return own_code(request.user)


def own_code(user) -> str:
    """The division code of ``user``'s own place: their widest assignment, else the installation's
    district (superusers), else their first scope root; ``""`` for a user scoped only to households."""
    scope = scope_for(user)
    assignment = primary_assignment(user)
    if assignment is not None and assignment.grants_subtree:
        return assignment.division.code
    if scope.everything:
        return settings.LIANFANG_DISTRICT_CODE
    return scope.codes[0] if scope.codes else ""


def _division(request, code: str) -> Division:
    """The division ``code`` if the user sees it, else 404."""
    return get_object_or_404(Division.objects.visible_to(request.user), code=(code or "").strip())


def _run(request, fn, **kwargs):
    """Call a service; a ValidationError becomes error messages (returns None)."""
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return None


def _run_on_form(form, fn, **kwargs):
    """Call a service for ``form``; a ValidationError's messages become the form's errors at the fields
    they name (shown next to the field with its label, the rest above the form). Returns None then."""
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
        for field, field_messages in errors.items():
            form.add_error(field if field in form.fields else None, field_messages)
        return None


def _form_errors(request, form) -> None:
    """Each error of the invalid ``form`` as an error message (field label: message naming the value),
    for forms that post from a list page and return to it."""
    for line in error_lines(form):
        messages.error(request, line)


def _pk(value) -> int:
    """A primary key from a form value; 0 (matches nothing) for anything that is not digits."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


def _posted_row(request, queryset, name: str):
    """The row of ``queryset`` whose id is the POST field ``name``.

    Raises BadQuery (a 400 page, with :func:`answers_bad_query`) naming the field and the value —
    ``{"schedule": ["abc 不存在或不在您的范围内"]}`` — when the value is empty, not a number, or
    not the id of a row of ``queryset`` (the caller's scope)."""
    text = str(request.POST.get(name) or "").strip()
    pk = int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else 0
    found = queryset.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if found is None:
        raise BadQuery({name: [_("%(id)s does not exist or is outside your scope") % {"id": text[:40] or "“”"}]})
    return found


def _back(request, fallback: str):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(fallback)


def _day(request) -> dt.date:
    """``?day=`` (ISO date), today when absent; BadQuery (a 400) when it is not a date."""
    return query_day(request.GET, "day", timezone.localdate())


def _flag(request, name: str, yes: str, no: str, label: str | None = None) -> bool:
    """The on/off query parameter ``name``: ``1``/``true`` → True, absent, ``0``/``false`` → False.
    Raises BadQuery naming the parameter (with ``label``, the checkbox's text, for the 400 page), the
    value and the two choices in words (``yes``/``no``: what each means, translated) for anything else."""
    value = (request.GET.get(name) or "").strip()
    if value.lower() in ("", "0", "false", "1", "true"):
        return value.lower() in ("1", "true")
    message = _("“%(value)s” is not one of the choices: 1 (%(yes)s), 0 (%(no)s)")
    raise BadQuery({name: [message % {"value": value[:40], "yes": yes, "no": no}]}, {name: label})


def _replayed(request, key: str, endpoint: str) -> bool:
    """True when this page form (hidden ``idempotency_key``) was already submitted by this user
    (a double tap, a retry on a flaky phone network); records the key otherwise."""
    if not key:
        return False
    _row, created = IdempotencyKey.objects.get_or_create(
        user=request.user, endpoint=endpoint, key=key[:80], defaults={"request_hash": "", "status_code": 303}
    )
    return not created


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _caps(request, code: str) -> dict:
    return {
        "can_setup": can(request.user, Capability.MANAGE_WORKFORCE, code),
        "can_field": can(request.user, Capability.FIELD_WORK, code),
        "can_screen": can(request.user, Capability.EDIT_REGISTRY, code),
        # household QR tokens (check-in cards) are the assistance app's: HANDLE_REQUESTS or EDIT_REGISTRY
        "can_print_cards": can(request.user, Capability.HANDLE_REQUESTS, code)
        or can(request.user, Capability.EDIT_REGISTRY, code),
    }


def qr_svg(url: str, scale: int = 4) -> str:
    """An inline SVG QR code (segno, error correction M) for ``url``."""
    buffer = BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2)
    return buffer.getvalue().decode()


# --------------------------------------------------------------------------------------------- hub


@login_required
@answers_bad_query
def index(request):
    """The field-work hub: today's duty of the signed-in worker, open alerts, the day's briefing
    counts for the user's place, and links to every section."""
    code = scope_code(request)
    worker = selectors.worker_of(request.user)
    start, end = field_rules.day_bounds(timezone.localdate())
    my_shifts = list(selectors.shifts_of_worker(worker, start=start, end=end)) if worker else []
    alerts = Alert.objects.visible_to(request.user).filter(status=AlertStatus.OPEN)
    if code:
        alerts = alerts.within(code)
    counts = [
        {"kind": r["kind"], "label": AlertKind(r["kind"]).label, "n": r["n"]}
        for r in alerts.values("kind").annotate(n=Count("id")).order_by("kind")
    ]
    return render(
        request,
        "fieldops/index.html",
        {"code": code, "my_shifts": my_shifts, "alert_counts": list(counts), "worker": worker, **_caps(request, code)},
    )


# --------------------------------------------------------------------------------------------- gate duty


@login_required
@answers_bad_query
def roster(request):
    """Gates of the place with their tier, today's (or ``?day=``) shifts and uncovered hours;
    managers generate the roster, assign guards and add gates."""
    return _roster_page(request, scope_code(request), _day(request))


def _roster_page(request, code: str, day: dt.date, generate_form=None, status: int = 200):
    """The roster page of ``code`` on ``day``; ``generate_form`` a refused roster-generation form
    shown with its errors (``status`` 400 then)."""
    try:
        rules = field_rules.rules_on(day)  # a day before every rule set is a 400 naming it
    except ValidationError as exc:
        raise BadQuery(exc.message_dict) from None
    coverage = selectors.roster_coverage(user=request.user, code=code, day=day) if code else []
    caps = _caps(request, code)
    roster_url = f"{reverse('fieldops:roster')}?within={code}"
    guard_query = search_text(request.GET.get("guard"))
    if caps["can_setup"]:
        # each gate's picker offers the workers whose place covers that gate (found by name or
        # initials with ?guard=), never the first 300 of the district; the page says when it shows fewer.
        # Gates of one place share their guards: one query per place, not per gate.
        by_place: dict[str, tuple] = {}
        for row in coverage:
            if any(shift.status == "planned" for shift in row.shifts):
                if row.gate.path not in by_place:
                    by_place[row.gate.path] = selectors.gate_workers(
                        user=request.user, gate=row.gate, on=day, query=guard_query
                    )
                row.guards, row.guards_total = by_place[row.gate.path]
    return render(
        request,
        "fieldops/roster.html",
        {
            "code": code,
            "day": day,
            "coverage": coverage,
            "guard_query": guard_query,
            # where the page's forms come back to (a refused generation is shown at the POST's URL)
            "here": request.get_full_path() if request.method == "GET" else roster_url,
            "form": forms.GateForm(initial={"division": code}, rules=rules),
            "generate_form": generate_form or forms.RosterGenerateForm(initial={"day": day, "days": 1}),
            **caps,
        },
        status=status,
    )


@login_required
@require_POST
@answers_bad_query
def roster_generate(request):
    """POST: create the roster of ``days`` days from ``day`` for the gates under ``within``
    (services.gates.duty_roster_generate_period). A refused period (more than 31 days, beyond the
    horizon, not a date) is shown on the roster page next to the field, with what was typed (400)."""
    code = scope_code(request) if not request.POST.get("within") else request.POST["within"]
    _division(request, code)
    form = forms.RosterGenerateForm(request.POST)
    report = None
    if form.is_valid():
        day, days = form.cleaned_data["day"], form.cleaned_data["days"] or 1
        report = _run_on_form(
            form, gates.duty_roster_generate_period, actor=request.user, code=code, first_day=day, days=days
        )
    if report is None:
        shown = form.cleaned_data.get("day") or timezone.localdate()
        return _roster_page(request, code, shown, generate_form=form, status=400)
    slots = ngettext("%(n)d shift slot", "%(n)d shift slots", report.created) % {"n": report.created}
    at_gates = ngettext("%(g)d gate", "%(g)d gates", report.gates) % {"g": report.gates}
    period = day.isoformat() if days == 1 else f"{day.isoformat()}–{(day + dt.timedelta(days=days - 1)).isoformat()}"
    messages.success(
        request, _("%(slots)s created for %(gates)s on %(d)s") % {"slots": slots, "gates": at_gates, "d": period}
    )
    return redirect(f"{reverse('fieldops:roster')}?within={code}&day={day.isoformat()}")


@login_required
@require_POST
def gate_create(request):
    """POST: add a gate (services.gates.gate_create); errors are shown on the page it came from."""
    form = forms.GateForm(request.POST, user=request.user)
    if form.is_valid():
        gate = _run(
            request,
            gates.gate_create,
            actor=request.user,
            division=form.cleaned_data["division"],
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            guards_per_shift=form.cleaned_data["guards_per_shift"],
            shift_pattern=form.cleaned_data["shift_pattern"],
        )
        if gate is not None:
            messages.success(request, _("Gate %(name)s added") % {"name": gate.name})
    else:
        _form_errors(request, form)
    return _back(request, reverse("fieldops:roster"))


@login_required
@require_POST
@answers_bad_query
def shift_assign(request, pk: int):
    """POST: put a guard (``worker`` id, blank to free the slot) on a planned shift. A ``worker`` that
    is not the id of a worker the user sees is a 400 naming the value (nothing changes)."""
    from lianfang.workforce.models import Worker  # noqa: PLC0415

    shift = get_object_or_404(DutyShift.objects.visible_to(request.user), pk=pk)
    worker_id = (request.POST.get("worker") or "").strip()
    worker = _posted_row(request, Worker.objects.visible_to(request.user), "worker") if worker_id else None
    _run(request, gates.duty_shift_assign, actor=request.user, shift=shift, worker=worker)
    return _back(request, reverse("fieldops:roster"))


@login_required
def my_duty(request):
    """The guard's phone page: today's and tomorrow's shifts with check-in and check-out buttons."""
    worker = selectors.worker_of(request.user)
    start, _end = field_rules.day_bounds(timezone.localdate())
    shifts = list(selectors.shifts_of_worker(worker, start=start, end=start + dt.timedelta(days=2))) if worker else []
    return render(request, "fieldops/my_duty.html", {"worker": worker, "shifts": shifts, "now": timezone.now()})


def _shift_action(request, pk: int, fn):
    shift = get_object_or_404(DutyShift.objects.visible_to(request.user).select_related("worker", "gate"), pk=pk)
    done = _run(request, fn, actor=request.user, shift=shift)
    if request.htmx:
        shift.refresh_from_db()
        return render(request, "fieldops/_shift.html", {"shift": shift, "now": timezone.now(), "error": done is None})
    return redirect("fieldops:my_duty")


@login_required
@require_POST
def shift_check_in(request, pk: int):
    """POST (htmx): the guard checks in; returns the shift card for htmx, else redirects."""
    return _shift_action(request, pk, gates.duty_shift_check_in)


@login_required
@require_POST
def shift_check_out(request, pk: int):
    """POST (htmx): the guard checks out; returns the shift card for htmx, else redirects."""
    return _shift_action(request, pk, gates.duty_shift_check_out)


@login_required
@answers_bad_query
def gate(request, pk: int):
    """The gate page: find a resident (ID number, household QR code, name) or take a visitor;
    direction, purpose, pass; the area's rules decide; the decision and recent passages are shown.
    Each look-up (``q``) is audited once (registry.services.record_search, ``page:fieldops.gate``):
    the query masked, or for a household QR code ``household QR <household id>`` (the token is a
    credential and never reaches the audit log), and the number of residents shown."""
    gate = get_object_or_404(Gate.objects.visible_to(request.user).select_related("division"), pk=pk)
    query = search_text(request.GET.get("q"))
    found, household = [], None
    if query:
        # a household QR code read by a scanner types its URL: the token is the last path segment
        token = [part for part in query.split("/") if part][-1] if "/" in query else query
        household = adapters.household_for_token(token)
        if household is not None:
            from lianfang.registry.models import Resident  # noqa: PLC0415

            found = list(
                Resident.objects.visible_to(request.user)
                .filter(household=household, is_deceased=False)
                .select_related("household")
                .order_by("id")
            )
        else:
            from lianfang.registry.selectors import search_residents  # noqa: PLC0415

            found = list(search_residents(user=request.user, query=query).order_by("name", "id")[:20])
        searched = query if household is None else f"household QR {household.pk}"
        record_search(actor=request.user, params={"q": searched}, results=len(found), where="page:fieldops.gate")
    decision = None
    if request.method == "POST":
        form = forms.PassageForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if _replayed(request, data["idempotency_key"], f"gate:{gate.pk}"):
                decision = PassageRecord.objects.filter(gate=gate, recorded_by=request.user).order_by("-id").first()
            else:
                resident = None
                if data["resident"]:
                    from lianfang.registry.models import Resident  # noqa: PLC0415

                    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=data["resident"])
                decision = _run(
                    request,
                    passage_register,
                    actor=request.user,
                    gate=gate,
                    direction=data["direction"],
                    purpose=data["purpose"],
                    resident=resident,
                    visitor_name=data["visitor_name"],
                    visitor_phone=data["visitor_phone"],
                    visitor_id=data["visitor_id"],
                    pass_ref=data["pass_ref"],
                    note=data["note"],
                )
        else:
            for line in error_lines(form):
                messages.error(request, line)
    tier_key = selectors.tier_key_of_path(gate.path)
    tier_name = TierKey(tier_key).label if tier_key in TierKey.values else _("Outside every control area")
    recent = PassageRecord.objects.visible_to(request.user).filter(gate=gate).select_related("resident")[:20]
    return render(
        request,
        "fieldops/gate.html",
        {
            "gate": gate,
            "query": query,
            "found": found,
            "qr_household": household,
            "decision": decision,
            "recent": recent,
            "tier_key": tier_key,
            "tier_name": tier_name,
            # A resident returning home walks in: the defaults agree with each other (trial finding).
            "form": forms.PassageForm(
                initial={"direction": "in", "purpose": "return_home", "idempotency_key": uuid.uuid4().hex}
            ),
            **_caps(request, gate.path),
        },
    )


@login_required
@answers_bad_query
def passages(request):
    """Entry/exit records of the place (masked), with the shared filters."""
    code = scope_code(request)
    base = PassageRecord.objects.visible_to(request.user).select_related("gate", "resident")
    filterset = filtersets.PassageFilterSet(request.GET, queryset=base.within(code) if code else base, request=request)
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)
    page = _page(request, filterset.qs)
    return render(request, "fieldops/passages.html", {"filterset": filterset, "page": page, "code": code})


# --------------------------------------------------------------------------------------------- patrols


@login_required
@answers_bad_query
def checkpoints(request):
    """Checkpoints of the place, with their printable QR codes and recent rounds."""
    code = scope_code(request)
    base = Checkpoint.objects.visible_to(request.user).select_related("division")
    rows = list(base.within(code) if code else base)
    rounds = PatrolRound.objects.visible_to(request.user).select_related("division", "worker")
    rounds = list((rounds.within(code) if code else rounds)[:30])
    names = dict(Checkpoint.objects.filter(pk__in={pk for r in rounds for pk in r.missed}).values_list("pk", "name"))
    for r in rounds:
        r.missed_names = [names.get(pk, f"#{pk}") for pk in r.missed]
    return render(
        request,
        "fieldops/checkpoints.html",
        {
            "code": code,
            "checkpoints": rows,
            "rounds": rounds,
            "form": forms.CheckpointForm(initial={"division": code}),
            **_caps(request, code),
        },
    )


@login_required
@require_POST
def checkpoint_create(request):
    """POST: add a patrol checkpoint (a fresh QR token) to a compound or village."""
    form = forms.CheckpointForm(request.POST, user=request.user)
    if form.is_valid():
        checkpoint = _run(
            request,
            patrols.checkpoint_create,
            actor=request.user,
            division=form.cleaned_data["division"],
            name=form.cleaned_data["name"],
        )
        if checkpoint is not None:
            messages.success(request, _("Checkpoint %(name)s added") % {"name": checkpoint.name})
    else:
        _form_errors(request, form)
    return _back(request, reverse("fieldops:checkpoints"))


@login_required
@answers_bad_query
def checkpoints_print(request):
    """Printable QR cards of the place's active checkpoints (print CSS, one card each). The QR code
    holds the checkpoint's secret token: only those who set up the checkpoints there
    (MANAGE_WORKFORCE at the place) may print them — a patrol who had them could record every
    checkpoint without walking the route (new-user trial 16); anyone else gets a 403 naming it."""
    code = scope_code(request)
    patrols.checkpoint_tokens_require(actor=request.user, code=code)
    base = Checkpoint.objects.visible_to(request.user).filter(is_active=True).select_related("division")
    cards = []
    for checkpoint in base.within(code) if code else base:
        url = request.build_absolute_uri(reverse("fieldops:patrol_scan", args=[checkpoint.token]))
        cards.append((checkpoint, qr_svg(url)))
    return render(request, "fieldops/checkpoints_print.html", {"cards": cards, "code": code})


@login_required
def patrol_scan(request, token: str):
    """Opened by scanning a checkpoint's QR code: confirm to record the scan in the patrol's round."""
    checkpoint = get_object_or_404(Checkpoint.objects.visible_to(request.user).select_related("division"), token=token)
    patrol = (
        PatrolRound.objects.filter(
            division=checkpoint.division, started_by=request.user, status=PatrolStatus.IN_PROGRESS
        )
        .order_by("-started_at")
        .first()
    )
    if request.method == "POST":
        scan = _run(request, patrols.patrol_scan, actor=request.user, checkpoint=checkpoint)
        if scan is not None:
            messages.success(
                request,
                _("%(name)s scanned at %(t)s")
                % {"name": checkpoint.name, "t": timezone.localtime(scan.scanned_at).strftime("%H:%M")},
            )
            patrol = scan.round
    expected = []
    if patrol is not None:
        scanned = {s.checkpoint_id: s for s in patrol.scans.all()}
        expected = [
            (c, scanned.get(c.pk)) for c in Checkpoint.objects.filter(pk__in=patrol.expected).order_by("position", "id")
        ]
    return render(
        request, "fieldops/patrol_scan.html", {"checkpoint": checkpoint, "patrol": patrol, "expected": expected}
    )


@login_required
@require_POST
def patrol_finish(request, pk: int):
    """POST: finish a patrol round; missed checkpoints are flagged and alerted."""
    patrol = get_object_or_404(PatrolRound.objects.visible_to(request.user), pk=pk)
    done = _run(request, patrols.patrol_round_finish, actor=request.user, patrol=patrol)
    if done is not None:
        if done.missed:
            n = len(done.missed)
            missed = ngettext("Round finished: %(n)d checkpoint missed", "Round finished: %(n)d checkpoints missed", n)
            messages.error(request, missed % {"n": n})
        else:
            messages.success(request, _("Round complete"))
    return _back(request, reverse("fieldops:checkpoints"))


# --------------------------------------------------------------------------------------------- screening


@login_required
@answers_bad_query
def people(request):
    """Screened people of the place (masked), filters, and the bulk status request form. A list
    filtered by name (``q``) is a look-up of people, audited once (registry.services.record_search,
    ``page:fieldops.people``: the query masked, the number of people found)."""
    code = scope_code(request)
    base = ScreenedPerson.objects.visible_to(request.user).select_related("infection", "household")
    filterset = filtersets.ScreenedPersonFilterSet(
        request.GET, queryset=base.within(code) if code else base, request=request
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)
    page = _page(request, filterset.qs)
    places = place_names((p.path for p in page), below=Level.STREET)  # a person is shown at a named place
    for p in page:
        p.place = places[p.path]
    record_search(
        actor=request.user,
        params={"q": filterset.form.cleaned_data.get("q") or ""},
        results=page.paginator.count,
        where="page:fieldops.people",
    )
    pending_bulk = BulkStatusChange.objects.visible_to(request.user).filter(status=ApprovalStatus.PENDING).count()
    return render(
        request,
        "fieldops/people.html",
        {
            "filterset": filterset,
            "page": page,
            "code": code,
            "bulk_form": forms.BulkForm(),
            "pending_bulk": pending_bulk,
            **_caps(request, code),
        },
    )


@login_required
@answers_bad_query
def person_new(request):
    """Add one screened person by hand (contacts are classified at once when located)."""
    code = scope_code(request)
    form = forms.PersonForm(request.POST or None, initial={"division": code}, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        district = Division.objects.filter(code=code[:6], level=3).first()
        if district is None:
            raise PermissionDenied
        household = data["household"]
        person = _run_on_form(
            form,
            screened_person_create,
            actor=request.user,
            district=district,
            category=data["category"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data["phone"],
            household=household,
            division=data["division"] if not household else None,
            address=data["address"],
            origin=data["origin"],
            arrived_on=data["arrived_on"],
            risk_area=data["risk_area"],
            infection=data["infection"],
            source_contact=data["source_contact"],
            last_exposure_on=data["last_exposure_on"],
        )
        if person is not None:
            return redirect("fieldops:person", pk=person.pk)
    return render(request, "fieldops/person_new.html", {"form": form, "code": code})


@login_required
def person(request, pk: int):
    """One screened person: plan, test tasks, status history, and the forms to act on them. A person
    without a household is located by the name of their place (divisions.selectors.place_name), the
    division code after it as secondary information."""
    person = get_object_or_404(
        ScreenedPerson.objects.visible_to(request.user).select_related(
            "infection", "source_contact", "rule_set", "household"
        ),
        pk=pk,
    )
    tests = list(QuarantineTest.objects.filter(person=person).exclude(result="cancelled").order_by("due_on", "ordinal"))
    # linked people are shown (and linked) only inside the user's scope: a household representative
    # sees a contact in their household, not the one it met next door
    visible = ScreenedPerson.objects.visible_to(request.user)
    return render(
        request,
        "fieldops/person.html",
        {
            "person": person,
            "place": place_name(person.path, below=Level.STREET),  # “下西园社区 › 阳光小区”, not the bare code
            "tests": tests,
            "changes": person.status_changes.select_related("actor").order_by("at", "id"),
            "source_contact": visible.filter(pk=person.source_contact_id).first() if person.source_contact_id else None,
            "secondaries": visible.filter(source_contact=person).order_by("pk"),
            "status_form": forms.StatusForm(),
            "verify_form": forms.VerifyForm(user=request.user),
            "test_form": forms.TestResultForm(),
            "exposure_form": forms.ExposureForm(),
            **_caps(request, person.path),
        },
    )


@login_required
@require_POST
@answers_bad_query
def person_action(request, pk: int, action: str):
    """POST endpoints of the person page: ``status``, ``verify``, ``exposure``, ``test`` (``test`` = id)."""
    person = get_object_or_404(ScreenedPerson.objects.visible_to(request.user), pk=pk)
    if action == "status":
        form = forms.StatusForm(request.POST)
        if form.is_valid():
            _run(request, screened_person_set_status, actor=request.user, person=person, **form.cleaned_data)
    elif action == "verify":
        form = forms.VerifyForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            household = data["household"]
            division = data["division"] if not household else None
            _run(
                request,
                screened_person_verify,
                actor=request.user,
                person=person,
                household=household,
                division=division,
                evidence=data["evidence"],
            )
    elif action == "exposure":
        form = forms.ExposureForm(request.POST)
        if form.is_valid():
            _run(request, contact_exposure_record, actor=request.user, person=person, **form.cleaned_data)
    elif action == "test":
        test = _posted_row(request, QuarantineTest.objects.filter(person=person), "test")
        form = forms.TestResultForm(request.POST)
        if form.is_valid():
            _run(request, quarantine_test_record, actor=request.user, test=test, **form.cleaned_data)
    else:
        raise Http404
    if "form" in locals() and not form.is_valid():
        for line in error_lines(form):
            messages.error(request, line)
    return redirect("fieldops:person", pk=pk)


@login_required
@answers_bad_query
def people_import(request):
    """Upload a screening list; the report lists what was created, duplicated and transferred out."""
    code = scope_code(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    report, problems = None, []
    if request.method == "POST" and form.is_valid():
        division = _division(request, request.POST.get("within") or code)
        upload = form.cleaned_data["file"]
        try:
            report = screening_import(
                actor=request.user,
                division=division,
                file_name=upload.name,
                data=upload.read(),
                category=form.cleaned_data["category"],
            )
        except ScreeningImportError as exc:
            problems = exc.problems
    return render(request, "fieldops/import.html", {"form": form, "report": report, "problems": problems, "code": code})


@login_required
@answers_bad_query
def transfers(request):
    """People to hand over to the place where they are (transfer-out list, masked)."""
    code = scope_code(request)
    base = TransferOut.objects.visible_to(request.user)
    filterset = filtersets.TransferOutFilterSet(
        request.GET, queryset=base.within(code) if code else base, request=request
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)
    page = _page(request, filterset.qs)
    return render(request, "fieldops/transfers.html", {"filterset": filterset, "page": page, **_caps(request, code)})


@login_required
@require_POST
def transfer_hand_over(request, pk: int):
    """POST: mark a transfer-out row handed over."""
    transfer = get_object_or_404(TransferOut.objects.visible_to(request.user), pk=pk)
    _run(
        request,
        transfer_out_hand_over,
        actor=request.user,
        transfer=transfer,
        note=request.POST.get("note", ""),
    )
    return redirect("fieldops:transfers")


@login_required
@require_POST
def bulk_request(request):
    """POST: request one status change for the people ticked (applied after a second person approves)."""
    form = forms.BulkForm(request.POST)
    ids = [int(v) for v in request.POST.getlist("people") if v.isdigit()]
    chosen = list(ScreenedPerson.objects.visible_to(request.user).filter(pk__in=ids))
    if len(chosen) != len(set(ids)):
        missing = sorted(set(ids) - {p.pk for p in chosen})
        raise NotFoundWithReason(
            _("%(id)s does not exist or is outside your scope") % {"id": ", ".join(map(str, missing))}
        )
    if form.is_valid():
        change = _run(request, bulk_status_change_request, actor=request.user, people=chosen, **form.cleaned_data)
        if change is not None:
            messages.success(request, _("Bulk change #%(pk)s waits for a second person's approval") % {"pk": change.pk})
            return redirect("fieldops:bulk_changes")
    return _back(request, reverse("fieldops:people"))


@login_required
@answers_bad_query
def bulk_changes(request):
    """Bulk status changes: pending ones can be approved or rejected by a second person."""
    code = scope_code(request)
    base = BulkStatusChange.objects.visible_to(request.user).select_related("requested_by", "decided_by")
    rows = (base.within(code) if code else base).prefetch_related(
        Prefetch("people", queryset=ScreenedPerson.objects.only("id", "name"))
    )
    return render(request, "fieldops/bulk.html", {"page": _page(request, rows), **_caps(request, code)})


@login_required
@require_POST
def bulk_decide(request, pk: int, decision: str):
    """POST: ``approve`` or ``reject`` a pending bulk change (a second person; 404 out of scope)."""
    change = get_object_or_404(BulkStatusChange.objects.visible_to(request.user), pk=pk)
    note = request.POST.get("note", "")
    if decision == "approve":
        done = _run(request, bulk_status_change_approve, actor=request.user, change=change, note=note)
    elif decision == "reject":
        done = _run(request, bulk_status_change_reject, actor=request.user, change=change, note=note)
    else:
        raise Http404
    if done is not None:
        messages.success(request, _("Bulk change #%(pk)s: %(s)s") % {"pk": change.pk, "s": done.get_status_display()})
    return redirect("fieldops:bulk_changes")


# --------------------------------------------------------------------------------------------- monitoring


@login_required
@answers_bad_query
def monitoring(request):
    """Monitored people of the place for a day: checked in or not, abnormal readings; a worker
    records a check-in on someone's behalf."""
    return _monitoring_page(request)


def _monitoring_page(request, *, refused=None, status: int = 200):
    """The home monitoring page of ``?within=`` / ``?day=`` (BadQuery for bad values). ``refused``:
    ``(monitoring id, bound CheckInForm with errors)`` — that row shows the value typed and the error
    next to it (above the table when the row is not on the page)."""
    code = scope_code(request)
    day = _day(request)
    base = HomeMonitoring.objects.visible_to(request.user).filter(
        status=MonitoringStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day
    )
    rows = list((base.within(code) if code else base).select_related("household").order_by("path", "id")[:500])
    check_ins = {c.monitoring_id: c for c in HealthCheckIn.objects.filter(monitoring__in=rows, day=day)}
    for m in rows:
        m.today = check_ins.get(m.pk)
        # one form a row, with ids of its own: a label of row 2 must not tick row 1's box (new-user trial 14)
        if refused is not None and refused[0] == m.pk:
            m.check_in_form = refused[1]
        else:
            m.check_in_form = forms.CheckInForm(auto_id=f"id_m{m.pk}_%s")
    if refused is not None and not any(m.pk == refused[0] for m in rows):
        _form_errors(request, refused[1])  # the row is not on this page (another day or place): say it above
    start_form = forms.MonitoringForm(
        initial={"starts_on": day, "ends_on": day + dt.timedelta(days=6)}, user=request.user, code=code
    )
    return render(
        request,
        "fieldops/monitoring.html",
        {
            "rows": rows,
            "day": day,
            "code": code,
            "start_form": start_form,
            "missing": sum(1 for m in rows if m.today is None),
            **_caps(request, code),
        },
        status=status,
    )


@login_required
@require_POST
@answers_bad_query
def monitoring_check_in(request, pk: int):
    """A worker records today's check-in for a monitored person (the form posts with the page's
    ``?within=&day=``). A reading the service refuses (empty, not a number, outside the plausible
    range) or an invalid form re-shows the page (400) with the value typed and the error next to it
    in that row, naming the value and the accepted range (new-user trial 14: a generic 400 page
    naming raw field names); nothing is saved."""
    monitoring = get_object_or_404(HomeMonitoring.objects.visible_to(request.user), pk=pk)
    form = forms.CheckInForm(request.POST, auto_id=f"id_m{monitoring.pk}_%s")
    check_in = None
    if form.is_valid():
        check_in = _run_on_form(
            form,
            health_check_in_record,
            actor=request.user,
            monitoring=monitoring,
            temperature=form.cleaned_data["temperature"],
            symptoms=form.cleaned_data["symptoms"],
            source="worker",
        )
    if check_in is None:
        return _monitoring_page(request, refused=(monitoring.pk, form), status=400)
    if check_in.abnormal:
        messages.error(
            request, _("Abnormal reading for %(name)s: a medical request was raised") % {"name": monitoring.name}
        )
    return _back(request, reverse("fieldops:monitoring"))


@login_required
@require_POST
def monitoring_start(request):
    """POST: start home health monitoring of a person of a household picked by its address (a
    resident of that name is linked, forms.MonitoringForm)."""
    form = forms.MonitoringForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        _run(
            request,
            home_monitoring_start,
            actor=request.user,
            household=data["household"],
            resident=data["resident"],
            name=data["name"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
        )
    else:
        _form_errors(request, form)
    return _back(request, reverse("fieldops:monitoring"))


@login_required
@answers_bad_query
def monitoring_cards(request):
    """Printable check-in cards: one QR code per household with someone under monitoring, opening
    the household's check-in page (the household's own QR token, from the assistance app)."""
    code = scope_code(request)
    day = _day(request)
    base = HomeMonitoring.objects.visible_to(request.user).filter(
        status=MonitoringStatus.ACTIVE, starts_on__lte=day, ends_on__gte=day
    )
    rows = list((base.within(code) if code else base).select_related("household").order_by("path", "id"))
    households = {m.household_id: m.household for m in rows}
    tokens = _run(request, adapters.household_tokens, actor=request.user, households=households.values()) or {}
    cards = []
    for household_id, household in households.items():
        token = tokens.get(household_id)
        if token:
            url = request.build_absolute_uri(reverse("fieldops:resident_check_in", args=[token]))
            cards.append((household, qr_svg(url)))
    return render(request, "fieldops/monitoring_cards.html", {"cards": cards, "code": code, "day": day})


def resident_check_in(request, token: str):
    """The resident's own daily check-in, opened from the household's printed QR code (no account,
    no app: any phone browser, or a neighbour's phone). The token is the authority; an unknown or
    revoked token is a 404."""
    household = adapters.household_for_token(token)
    if household is None:
        raise NotFoundWithReason(
            _("This check-in code is unknown or no longer valid: ask your grid worker for the household's new code.")
        )
    day = timezone.localdate()
    if request.method == "POST":
        monitoring = get_object_or_404(
            HomeMonitoring.objects.filter(household=household, status=MonitoringStatus.ACTIVE),
            pk=_pk(request.POST.get("monitoring")),
        )
        form = forms.CheckInForm(request.POST)
        if form.is_valid():
            check_in = _run(
                request,
                health_check_in_record,
                actor=None,
                monitoring=monitoring,
                temperature=form.cleaned_data["temperature"],
                symptoms=form.cleaned_data["symptoms"],
                source="resident",
            )
            if check_in is not None:
                messages.success(
                    request, _("Thank you: today's check-in of %(name)s is recorded") % {"name": monitoring.name}
                )
        return redirect("fieldops:resident_check_in", token=token)
    rows = selectors.household_monitorings(household, day=day)
    for m in rows:  # ids of its own for each person's form (new-user trial 14)
        m.check_in_form = forms.CheckInForm(auto_id=f"id_m{m.pk}_%s")
    return render(request, "fieldops/resident_check_in.html", {"rows": rows, "day": day})


# --------------------------------------------------------------------------------------------- disinfection


@login_required
@answers_bad_query
def disinfection(request):
    """Schedules of the public areas with the last time done, the next due time and overdue ones;
    field workers log a disinfection, managers add or generate schedules."""
    code = scope_code(request)
    base = DisinfectionSchedule.objects.visible_to(request.user).filter(is_active=True)
    rows = selectors.schedules_with_due(base.within(code) if code else base)
    rows.sort(key=lambda s: (not s.overdue, s.due_at))
    return render(
        request,
        "fieldops/disinfection.html",
        {
            "rows": rows,
            "code": code,
            "log_form": forms.DisinfectionLogForm(initial={"performed_by": getattr(request.user, "display_name", "")}),
            "schedule_form": forms.ScheduleForm(initial={"division": code}, user=request.user),
            **_caps(request, code),
        },
    )


@login_required
@require_POST
@answers_bad_query
def disinfection_action(request, action: str):
    """POST: ``generate`` schedules for sealed and controlled compounds, add a ``schedule``, or ``log`` one done."""
    code = request.POST.get("within") or scope_code(request)
    if action == "generate":
        _division(request, code)
        counts = _run(request, disinfection_schedules_generate, actor=request.user, code=code)
        if counts is not None:
            n = counts["created"]
            messages.success(request, ngettext("%(n)d schedule created", "%(n)d schedules created", n) % {"n": n})
    elif action == "schedule":
        form = forms.ScheduleForm(request.POST, user=request.user)
        if form.is_valid():
            schedule = _run(
                request,
                disinfection_schedule_create,
                actor=request.user,
                division=form.cleaned_data["division"],
                place=form.cleaned_data["place"],
                interval_hours=form.cleaned_data["interval_hours"],
            )
            if schedule is not None:
                messages.success(request, _("Disinfection of %(place)s scheduled") % {"place": schedule.place})
        else:
            _form_errors(request, form)
    elif action == "log":
        schedule = _posted_row(request, DisinfectionSchedule.objects.visible_to(request.user), "schedule")
        form = forms.DisinfectionLogForm(request.POST)
        if form.is_valid():
            log = _run(request, disinfection_log_record, actor=request.user, schedule=schedule, **form.cleaned_data)
            if log is not None:
                messages.success(request, _("Disinfection of %(place)s recorded") % {"place": schedule.place})
        else:
            _form_errors(request, form)
    else:
        raise Http404
    return _back(request, reverse("fieldops:disinfection"))


# --------------------------------------------------------------------------------------------- notices


@login_required
@answers_bad_query
def notices(request):
    """Notices of the place: drafts, published, withdrawn; write a new one."""
    code = scope_code(request)
    base = Notice.objects.visible_to(request.user).select_related("division", "control_area")
    rows = base.within(code) if code else base
    form = forms.NoticeForm(request.POST or None, initial={"division": code}, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = data["control_area"]
        division = data["division"] if area is None else None
        notice = _run(
            request,
            notice_create,
            actor=request.user,
            title=data["title"],
            body=data["body"],
            division=division,
            control_area=area,
        )
        if notice is not None:
            return redirect("fieldops:notice", pk=notice.pk)
    return render(
        request,
        "fieldops/notices.html",
        {"page": _page(request, rows), "form": form, "code": code, **_caps(request, code)},
    )


@login_required
def notice(request, pk: int):
    """A notice with its status, deliveries to group robots, and the publish/withdraw buttons."""
    notice = get_object_or_404(
        Notice.objects.visible_to(request.user).select_related("division", "control_area"), pk=pk
    )
    return render(
        request,
        "fieldops/notice.html",
        {"notice": notice, "deliveries": notice.deliveries.select_related("channel"), **_caps(request, notice.path)},
    )


@login_required
@require_POST
def notice_action(request, pk: int, action: str):
    """POST: ``publish`` a draft or ``withdraw`` a published notice (with a reason)."""
    notice = get_object_or_404(Notice.objects.visible_to(request.user), pk=pk)
    if action == "publish":
        _run(request, notice_publish, actor=request.user, notice=notice)
    elif action == "withdraw":
        _run(request, notice_withdraw, actor=request.user, notice=notice, reason=request.POST.get("reason", ""))
    else:
        raise Http404
    return redirect("fieldops:notice", pk=pk)


@login_required
def notice_poster(request, pk: int):
    """A printable poster (A4 through print CSS) with the notice and a QR code to its public page."""
    notice = get_object_or_404(
        Notice.objects.visible_to(request.user)
        .filter(status=NoticeStatus.PUBLISHED)
        .select_related("division", "control_area"),
        pk=pk,
    )
    url = request.build_absolute_uri(reverse("fieldops:notice_public", args=[notice.token]))
    return render(request, "fieldops/notice_poster.html", {"notice": notice, "qr": qr_svg(url, scale=6), "url": url})


def notice_public(request, token: str):
    """The public page of a notice (no account): what the poster's QR code opens. Withdrawn
    notices say so; drafts do not exist publicly."""
    notice = get_object_or_404(
        Notice.objects.filter(status__in=(NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN)).select_related(
            "division", "control_area"
        ),
        token=token,
    )
    return render(request, "fieldops/notice_public.html", {"notice": notice})


def sees_configuration(user) -> bool:
    """Whether ``user`` may read how the installation is configured (environment variable names such
    as ``LIANFANG_WEBHOOKS``): a system operator (superuser) or a district commander. Everyone else
    reads a plain sentence. Raises nothing."""
    if user.is_superuser:
        return True
    return any(a.role == Role.DISTRICT_COMMANDER for a in active_assignments(user))


@login_required
@answers_bad_query
def channels(request):
    """Group-robot webhooks of the place (URLs masked) and whether webhooks are switched on; how to
    switch them on (the environment variable) only for :func:`sees_configuration`."""
    from lianfang.fieldops.notify import webhooks_enabled  # noqa: PLC0415

    code = scope_code(request)
    base = NotificationChannel.objects.visible_to(request.user).select_related("division")
    form = forms.ChannelForm(request.POST or None, initial={"division": code}, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        channel = _run(
            request,
            channel_create,
            actor=request.user,
            division=data["division"],
            name=data["name"],
            kind=data["kind"],
            url=data["url"],
            secret=data["secret"],
            is_enabled=data["is_enabled"],
        )
        if channel is not None:
            return redirect("fieldops:channels")
    return render(
        request,
        "fieldops/channels.html",
        {
            "rows": base.within(code) if code else base,
            "form": form,
            "enabled": webhooks_enabled(),
            "sees_configuration": sees_configuration(request.user),
            **_caps(request, code),
        },
    )


@login_required
@require_POST
def channel_toggle(request, pk: int):
    """POST: switch a group-robot channel on or off."""
    channel = get_object_or_404(NotificationChannel.objects.visible_to(request.user), pk=pk)
    _run(request, channel_set_enabled, actor=request.user, channel=channel, enabled=not channel.is_enabled)
    return redirect("fieldops:channels")


# --------------------------------------------------------------------------------------------- alerts, briefing


@login_required
@answers_bad_query
def alerts(request):
    """Open alerts of the place (``?mine=1``: addressed to me), newest first; acknowledge them. A
    filter value that cannot be used is a 400 page naming the parameter and the value."""
    code = scope_code(request)
    base = Alert.objects.visible_to(request.user).select_related("recipient", "gate", "household")
    filterset = filtersets.AlertFilterSet(
        request.GET or {"status": "open"}, queryset=base.within(code) if code else base, request=request
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)
    qs = filterset.qs
    mine = _flag(request, "mine", _("addressed to me"), _("all"), label=_("For me"))
    if mine:
        qs = qs.filter(recipient__user=request.user)
    page = _page(request, qs)
    for alert in page:
        alert.may_acknowledge = alert_may_acknowledge(request.user, alert)
    return render(request, "fieldops/alerts.html", {"filterset": filterset, "page": page, "code": code, "mine": mine})


@login_required
@require_POST
def alert_ack(request, pk: int):
    """POST: acknowledge an alert (see services.alerts.alert_acknowledge: its recipient or their supervisor;
    an alert to the place: anyone with FIELD_WORK there); anyone else gets 403."""
    alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
    _run(request, alert_acknowledge, actor=request.user, alert=alert)
    return _back(request, reverse("fieldops:alerts"))


@login_required
@answers_bad_query
def briefing_page(request):
    """A team's task list for the day (``?team=&day=``), printable and readable on a phone."""
    from lianfang.workforce.models import Team  # noqa: PLC0415

    day = _day(request)
    teams = list(Team.objects.visible_to(request.user).select_related("base_division").order_by("path", "name"))
    for t in teams:  # teams of several places share names (“第1组”): the place tells them apart
        t.label = bracketed(t.name, t.base_division.short_name)
    team_id = query_id(request.GET, "team")
    team = next((t for t in teams if t.pk == team_id), None) if team_id else None
    if team_id and team is None:
        raise Http404
    code = team.path if team else scope_code(request)
    result = briefing.daily_briefing(user=request.user, code=code, day=day, team=team) if code else None
    return render(
        request, "fieldops/briefing.html", {"teams": teams, "team": team, "day": day, "briefing": result, "code": code}
    )
