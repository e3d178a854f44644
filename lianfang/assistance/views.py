"""Service-request pages: the board, tickets and their timeline, intake forms, exit passes, proactive care,
supply checklists, and the household's own page behind its printed QR link (no account).

Staff pages get every row from ``Model.objects.visible_to(request.user)`` (out of scope → 404). The
household pages take the token as the scope: only that household's own tickets, deliveries and notices.
"""

from __future__ import annotations

import datetime as dt
import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, primary_assignment
from lianfang.assistance import adapters, hooks, importers, selectors
from lianfang.assistance.filtersets import ServiceRequestFilterSet
from lianfang.assistance.forms import (
    CheckInForm,
    CloseForm,
    ExitPassForm,
    HandOffForm,
    IntakeForm,
    MedicineForm,
    NoteForm,
    PartnerImportForm,
    PlanForm,
    ResidentIntakeForm,
    StepForm,
    TenantForm,
    TriageForm,
    apply_errors,
)
from lianfang.assistance.models import (
    CareMedicine,
    CheckInTask,
    ExitPass,
    HouseholdToken,
    ServiceRequest,
    Status,
    SupplyDelivery,
    SupplyPlan,
    TicketEvent,
)
from lianfang.assistance.services.base import StatusConflict, can_handle
from lianfang.assistance.services.care import care_medicine_set, check_in_done
from lianfang.assistance.services.intake import service_request_create
from lianfang.assistance.services.lifecycle import (
    notification_mark_read,
    service_request_accept,
    service_request_close,
    service_request_close_precheck,
    service_request_confirm,
    service_request_fulfil,
    service_request_hand_off,
    service_request_note,
    service_request_on_site,
    service_request_start,
    service_request_triage,
)
from lianfang.assistance.services.passes import exit_pass_check_record, exit_pass_issue, exit_pass_revoke
from lianfang.assistance.services.supplies import (
    supply_delivery_add_tenant,
    supply_delivery_confirm,
    supply_delivery_mark,
    supply_plan_close,
    supply_plan_create,
)
from lianfang.assistance.services.tokens import household_token_issue, household_token_revoke, household_tokens_ensure
from lianfang.core import audit
from lianfang.core.filters import (
    BadQuery,
    answers_bad_query,
    bad_query_response,
    query_id,
    query_scoped_code,
)
from lianfang.core.scoping import scope_for
from lianfang.core.spreadsheets import save_as_text
from lianfang.divisions.models import Division, Level
from lianfang.registry.models import VULNERABILITY_FLAGS, Household, Resident

PAGE_SIZE = 50


# ------------------------------------------------------------------------------------------ helpers


def _area_code(request) -> str:
    """The division code asked for: ``?within=`` (the name the ticket list and the zones pages use),
    else ``?code=``, default the user's own. Both are checked like the filter forms' ``within`` and
    screening's missed-people ``code`` (core.filters.query_scoped_code): a BadQuery (400 naming the
    parameter and the value) when it is not 1-20 digits, or names a division that is unknown or holds
    nothing the user may see (core.scoping.reaches); a code above the user's scope is their part of it."""
    params = request.GET
    code = query_scoped_code(request.user, params, "within") or query_scoped_code(request.user, params, "code")
    if not code:
        assignment = primary_assignment(request.user)
        return assignment.division.code if assignment and assignment.grants_subtree else settings.LIANFANG_DISTRICT_CODE
    return code


def _division_named(code: str):
    return Division.objects.filter(code=code).first()


def _qr_svg(url: str, scale: int = 4) -> str:
    return mark_safe(segno.make(url, error="m").svg_inline(scale=scale))  # noqa: S308 (segno output, no user HTML)


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


# The fields the services name in their ValidationErrors, as people read them (never the raw key).
FIELD_LABELS = {
    "to": gettext_lazy("Hand off to"),
    "note": gettext_lazy("Note"),
    "priority": gettext_lazy("Priority"),
    "outcome": gettext_lazy("Outcome"),
    "reason": gettext_lazy("Reason"),
    "status": gettext_lazy("Status"),
}


def _error_text(error: Exception, form=None) -> str:
    """A refused action as one message line: each field's errors after the field's label (the form's
    label when ``form`` has the field, else FIELD_LABELS; a field not listed gets no prefix, never its
    raw key); a StatusConflict's message as it is."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            parts = []
            for key, errors in error.message_dict.items():
                field = form.fields.get(key) if form is not None else None
                label = field.label if field is not None and field.label else FIELD_LABELS.get(key)
                text = " ".join(errors)
                parts.append(_("%(field)s: %(errors)s") % {"field": label, "errors": text} if label else text)
            return " ".join(parts)
        return " ".join(error.messages)
    return getattr(error, "message", None) or str(error)


def _visible_ticket(request, pk: int) -> ServiceRequest:
    return get_object_or_404(
        ServiceRequest.objects.visible_to(request.user).select_related(
            "household", "community", "compound", "resident", "assignee", "offered_to", "routed_worker", "sla_rule_set"
        ),
        pk=pk,
    )


# ------------------------------------------------------------------------------------------ board and lists

DEFAULT_DAYS, MAX_DAYS = 7, 366


def _days(params) -> int:
    """``days`` of the board's median times: a whole number of days 1 … MAX_DAYS, DEFAULT_DAYS when
    absent or empty. Raises BadQuery naming ``days`` and the value for anything else (``abc``, ``0``,
    ``9999``): never clamped or ignored."""
    raw = (params.get("days") or "").strip()
    if not raw:
        return DEFAULT_DAYS
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DAYS):
        message = _("“%(value)s” is not a number of days from 1 to %(most)d")
        raise BadQuery({"days": [message % {"value": raw[:40], "most": MAX_DAYS}]}, {"days": _("Days")})
    return int(raw)


@login_required
@answers_bad_query
def index(request):
    """Open and overdue tickets by community and category, median times over the last ``days`` days
    (:func:`_days`), load per assignee. A malformed ``code`` or ``days`` is a 400 page naming it."""
    code = _area_code(request)
    now = timezone.now()
    days = _days(request.GET)
    since = now - dt.timedelta(days=days)
    board = selectors.open_board(user=request.user, code=code, now=now)
    return render(
        request,
        "assistance/index.html",
        {
            "code": code,
            "division": _division_named(code),
            "board": board,
            "medians": selectors.medians(user=request.user, code=code, since=since),
            "days": days,
            "loads": selectors.assignee_loads(user=request.user, code=code, now=now),
            "alerts": selectors.notifications_for(request.user).count(),
            "tickets_url": reverse("assistance:tickets"),
            "can_import": can(request.user, Capability.HANDLE_REQUESTS),
            # the same rights as qr_sheet (household_tokens_ensure)
            "can_print_qr": can(request.user, Capability.HANDLE_REQUESTS, code or None)
            or can(request.user, Capability.EDIT_REGISTRY, code or None),
        },
    )


@login_required
def tickets(request):
    """Tickets in scope with the shared filters (status, open, overdue, category, priority, channel, mine),
    most urgent first (``selectors.by_urgency``: overdue emergencies at the top)."""
    now = timezone.now()
    filterset = ServiceRequestFilterSet(
        request.GET,
        queryset=selectors.by_urgency(
            ServiceRequest.objects.visible_to(request.user).select_related("household", "assignee"), now
        ),
        request=request,
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assistance/tickets.html", {"filterset": filterset, "page": page, "now": now})


@login_required
def ticket_detail(request, pk: int):
    """A ticket: its state and clocks, the channels it came through, its full timeline, and the actions
    the viewer may take. The latest test state is shown for information only."""
    return _ticket_page(request, _visible_ticket(request, pk))


def _ticket_page(request, ticket: ServiceRequest, *, handoff_form: HandOffForm | None = None, status: int = 200):
    """Render the ticket page; ``handoff_form`` is a refused hand-off shown again with its errors."""
    handler = can_handle(request.user, ticket)
    today = timezone.localdate()
    chain = adapters.chain(ticket.household, today)
    context = {
        "ticket": ticket,
        "intakes": list(ticket.intakes.select_related("reporter").order_by("received_at", "id")),
        "events": selectors.timeline(ticket),
        "passes": list(ticket.exit_passes.prefetch_related("windows").order_by("-approved_at")),
        "chain": chain,
        "test_state": hooks.test_states([ticket.household_id]).get(ticket.household_id, ""),
        "handler": handler,
        "is_assignee": ticket.assignee_id == request.user.pk,
        "is_offered": ticket.offered_to_id == request.user.pk,
        "now": timezone.now(),
        "can_export": can(request.user, Capability.EXPORT, ticket.path),
        "can_pass": handler
        and ticket.category == "medical_trip"
        and ticket.status in (Status.ACCEPTED, Status.IN_PROGRESS)
        and can(request.user, Capability.HANDLE_REQUESTS, ticket.community.code),
    }
    if handler:
        context.update(
            triage_form=TriageForm(initial={"priority": ticket.priority}),
            close_form=CloseForm(),
            note_form=NoteForm(),
            step_form=StepForm(),
            handoff_form=handoff_form or HandOffForm(candidates=selectors.handoff_candidates(ticket)),
        )
    return render(request, "assistance/ticket.html", context, status=status)


def _hand_off(request, ticket: ServiceRequest):
    """The hand-off action: ``to`` must be one of the people the form offers
    (``selectors.handoff_candidates``). Anything else — not a number, unknown, or someone not offered —
    re-renders the page with the form's error naming the value (400), and nothing is offered."""
    if not can_handle(request.user, ticket):
        raise PermissionDenied(_("You may not handle service request %s.") % ticket)
    form = HandOffForm(request.POST, candidates=selectors.handoff_candidates(ticket))
    if form.is_valid():
        try:
            service_request_hand_off(
                actor=request.user, ticket=ticket, to=form.cleaned_data["to"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except StatusConflict as exc:
            messages.error(request, _error_text(exc))
            return redirect("assistance:ticket", pk=ticket.pk)
        else:
            offered = {"number": ticket.number, "user": form.cleaned_data["to"]}
            messages.success(request, _("%(number)s offered to %(user)s.") % offered)
            return redirect("assistance:ticket", pk=ticket.pk)
    return _ticket_page(request, ticket, handoff_form=form, status=400)


ACTIONS = {"accept", "start", "on_site", "fulfil", "confirm", "close", "triage", "handoff", "note"}


@login_required
@require_POST
def ticket_action(request, pk: int, action: str):
    """Apply one action to a ticket (POST), then back to the ticket with a message. 404 out of scope;
    403 without the right; a lost race or a refused step comes back as an error message naming fields by
    their labels. A refused hand-off re-renders the page with the form's error (400, see _hand_off)."""
    ticket = _visible_ticket(request, pk)
    if action not in ACTIONS:
        raise Http404
    if action == "handoff":
        return _hand_off(request, ticket)
    user = request.user
    note = request.POST.get("note", "")
    form = None
    try:
        if action == "accept":
            service_request_accept(actor=user, ticket=ticket)
            messages.success(request, _("You accepted %s.") % ticket.number)
        elif action == "start":
            service_request_start(actor=user, ticket=ticket, note=note)
        elif action == "on_site":
            service_request_on_site(actor=user, ticket=ticket, note=note)
        elif action == "fulfil":
            service_request_fulfil(actor=user, ticket=ticket, note=note)
        elif action == "confirm":
            service_request_confirm(actor=user, ticket=ticket, note=note)
        elif action == "close":
            service_request_close_precheck(actor=user, ticket=ticket)
            form = CloseForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            service_request_close(actor=user, ticket=ticket, **form.cleaned_data)
        elif action == "triage":
            form = TriageForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors.as_data())
            service_request_triage(actor=user, ticket=ticket, **form.cleaned_data)
        elif action == "note":
            service_request_note(
                actor=user, ticket=ticket, note=note, public=request.POST.get("public") in ("on", "true", "1")
            )
    except PermissionDenied:
        raise
    except (ValidationError, StatusConflict) as exc:
        messages.error(request, _error_text(exc, form))
    return redirect("assistance:ticket", pk=ticket.pk)


@login_required
def ticket_export(request, pk: int):
    """The ticket's full timeline as an XLSX file for accountability (who, what, when); needs EXPORT.
    Watermarked with the exporting user and time, and audited."""
    from openpyxl import Workbook  # noqa: PLC0415

    ticket = _visible_ticket(request, pk)
    if not can(request.user, Capability.EXPORT, ticket.path):
        raise PermissionDenied
    now = timezone.localtime()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = ticket.number
    sheet.append(
        [
            _("Exported by %(user)s at %(time)s — for accountability only")
            % {"user": request.user, "time": f"{now:%Y-%m-%d %H:%M}"}
        ]
    )
    sheet.append([_("Number"), ticket.number])
    sheet.append([_("Household"), ticket.household.address])
    sheet.append([_("Category"), str(ticket.get_category_display())])
    sheet.append([_("Priority"), str(ticket.get_priority_display())])
    sheet.append([_("Status"), str(ticket.get_status_display())])
    sheet.append([_("Received"), f"{timezone.localtime(ticket.received_at):%Y-%m-%d %H:%M:%S}"])
    sheet.append([])
    sheet.append(
        [_("Time"), _("By"), _("Event"), _("From status"), _("To status"), _("Reason code"), _("Level"), _("Note")]
    )
    for event in selectors.timeline(ticket):
        sheet.append(
            [
                f"{timezone.localtime(event.at):%Y-%m-%d %H:%M:%S}",
                event.actor_name or (str(event.actor) if event.actor else _("Lianfang (automatic)")),
                str(event.get_kind_display()),
                str(event.get_from_status_display()) if event.from_status else "",
                str(event.get_to_status_display()) if event.to_status else "",
                event.reason_code,
                event.level or "",
                event.note_text,
            ]
        )
    buffer = io.BytesIO()
    save_as_text(workbook, buffer)
    audit.record(actor=request.user, action="export", obj=ticket, detail={"what": "timeline"})
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="timeline-{ticket.number}.xlsx"'
    return response


# ------------------------------------------------------------------------------------------ intake


@login_required
@answers_bad_query
def new_ticket(request):
    """A staff member (nurse, guard, volunteer) or hotline operator files a need on behalf of a household:
    ``?household=<id>`` picks it (not an id: a 400 page naming it; out of scope: 404); otherwise ``?q=``
    searches households in scope by address."""
    household_id = query_id(request.GET, "household", _("Household")) or query_id(
        request.POST, "household", _("Household")
    )
    households = None
    query = request.GET.get("q", "").strip()
    if not household_id:
        if query:
            households = (
                Household.objects.visible_to(request.user).filter(address__contains=query).order_by("path", "room")[:30]
            )
        return render(request, "assistance/new.html", {"households": households, "query": query})
    household = get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    members = list(household.residents.filter(is_deceased=False).order_by("birth_date"))
    form = IntakeForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = next((m for m in members if m.pk == data["resident"]), None)
        try:
            ticket = service_request_create(
                actor=request.user,
                household=household,
                category=data["category"],
                description=data["description"],
                channel=data["channel"],
                filed_by=data["filed_by"],
                resident=resident,
                resident_urgency=data["resident_urgency"],
                reporter_name=data["reporter_name"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if ticket.linked:
                messages.info(request, _("This household already had this need open: linked to %s.") % ticket.number)
            else:
                messages.success(request, _("Request %s filed.") % ticket.number)
            return redirect("assistance:ticket", pk=ticket.pk)
    return render(request, "assistance/new.html", {"household": household, "form": form})


@login_required
def partner_import(request):
    """Upload a partner's list; every row is checked first and nothing is written when one is wrong."""
    if not can(request.user, Capability.HANDLE_REQUESTS):
        raise PermissionDenied
    form = PartnerImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = importers.import_partner_list(
            actor=request.user,
            data=upload.read(),
            file_name=upload.name,
            partner_name=form.cleaned_data["partner_name"],
            dry_run=form.cleaned_data["dry_run"],
        )
    return render(request, "assistance/import.html", {"form": form, "result": result})


# ------------------------------------------------------------------------------------------ notifications


@login_required
def alerts(request):
    """The user's unread notifications (escalations, hand-offs, gate alerts in scope), newest first."""
    rows = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "assistance/alerts.html", {"page": rows})


@login_required
@require_POST
def alert_read(request, pk: int):
    notification = get_object_or_404(selectors.notifications_for(request.user, unread_only=False), pk=pk)
    notification_mark_read(actor=request.user, notification=notification)
    return redirect("assistance:alerts")


# ------------------------------------------------------------------------------------------ QR links


@login_required
@answers_bad_query
def qr_sheet(request):
    """Printable QR stickers for every household under ``?code=`` (a compound, building or unit): each
    household's live link, minted where missing (audited). A malformed ``code`` is a 400 page naming it."""
    code = _area_code(request)
    if len(code) < 15:
        return render(request, "assistance/qr_sheet.html", {"code": code, "too_wide": True})
    if not (can(request.user, Capability.HANDLE_REQUESTS, code) or can(request.user, Capability.EDIT_REGISTRY, code)):
        raise PermissionDenied
    households = list(Household.objects.visible_to(request.user).within(code).order_by("path", "room", "id")[:500])
    try:
        tokens = household_tokens_ensure(actor=request.user, households=households)
    except PermissionDenied:
        raise
    stickers = []
    for household in households:
        url = _absolute(request, reverse("assistance:resident_home", args=[tokens[household.pk]]))
        stickers.append((household, _qr_svg(url, scale=3)))
    return render(
        request, "assistance/qr_sheet.html", {"code": code, "division": _division_named(code), "stickers": stickers}
    )


@login_required
def household_qr(request, pk: int):
    """One household's QR link: show it, issue a new one (the old one stops working) or revoke it."""
    household = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                household_token_revoke(actor=request.user, household=household, reason=request.POST.get("reason", ""))
                messages.success(request, _("The QR link was revoked."))
            else:
                household_token_issue(actor=request.user, household=household)
                messages.success(request, _("A new QR link was issued; the previous one no longer works."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("assistance:household_qr", pk=household.pk)
    live = HouseholdToken.objects.filter(household=household, revoked_at__isnull=True).first()
    qr = url = None
    if live is not None:
        url = _absolute(request, reverse("assistance:resident_home", args=[live.token_plain()]))
        qr = _qr_svg(url)
        audit.record(actor=request.user, action="view_token", obj=household)
    history = HouseholdToken.objects.filter(household=household).order_by("-issued_at")[:10]
    return render(
        request,
        "assistance/household_qr.html",
        {"household": household, "live": live, "qr": qr, "url": url, "history": history},
    )


# ------------------------------------------------------------------------------------------ exit passes


@login_required
def pass_new(request, pk: int):
    """Approve a medical exit pass for a medical-trip ticket (one approval, several windows)."""
    ticket = _visible_ticket(request, pk)
    members = list(ticket.household.residents.filter(is_deceased=False).order_by("birth_date"))
    form = ExitPassForm(request.POST or None, members=members, initial={"resident": ticket.resident_id})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        wanted = data.pop("resident")
        resident = next((m for m in members if m.pk == wanted), None)
        try:
            exit_pass = exit_pass_issue(actor=request.user, ticket=ticket, resident=resident, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Exit pass %s approved.") % exit_pass.number)
            return redirect("assistance:exit_pass", pk=exit_pass.pk)
    elif request.method == "GET" and not can_handle(request.user, ticket):
        raise PermissionDenied
    return render(request, "assistance/pass_new.html", {"ticket": ticket, "form": form})


@login_required
def exit_pass(request, pk: int):
    """The printable pass: person, destination, windows, vehicle, and the QR code a gate scans."""
    item = get_object_or_404(
        ExitPass.objects.visible_to(request.user).select_related("resident", "household", "ticket", "approved_by"),
        pk=pk,
    )
    url = _absolute(request, reverse("assistance:pass_check", args=[item.token_plain()]))
    return render(
        request,
        "assistance/exit_pass.html",
        {
            "item": item,
            "windows": list(item.windows.all()),
            "qr": _qr_svg(url),
            "url": url,
            "check": selectors.exit_pass_check(item),
        },
    )


@login_required
@require_POST
def pass_revoke(request, pk: int):
    item = get_object_or_404(ExitPass.objects.visible_to(request.user).select_related("ticket"), pk=pk)
    try:
        exit_pass_revoke(actor=request.user, exit_pass=item, reason=request.POST.get("reason", ""))
    except (ValidationError, StatusConflict) as exc:
        messages.error(request, _error_text(exc))
    return redirect("assistance:exit_pass", pk=item.pk)


@login_required
def pass_check(request, token: str):
    """What a gate guard sees after scanning a pass: valid now or not, and why (audited). A pass outside
    the guard's scope is a 404."""
    item = selectors.exit_pass_for_token(token)
    if item is None or not ExitPass.objects.visible_to(request.user).filter(pk=item.pk).exists():
        raise Http404
    check = selectors.exit_pass_check(item)
    exit_pass_check_record(actor=request.user, exit_pass=item, valid=check.valid)
    return render(request, "assistance/pass_check.html", {"item": item, "check": check})


# ------------------------------------------------------------------------------------------ proactive care


@login_required
def care(request):
    """Today's check-ins (a representative sees their own households) and medicines with run-out dates."""
    today = timezone.localdate()
    labels = {name: str(label) for name, label in VULNERABILITY_FLAGS}
    tasks = list(
        CheckInTask.objects.visible_to(request.user)
        .filter(day=today)
        .select_related("household", "resident", "worker", "ticket")
        .order_by("done_at", "path", "household_id")[:200]
    )
    for task in tasks:
        task.reason_labels = [labels.get(r, r) for r in task.reasons]
    medicines = list(
        CareMedicine.objects.visible_to(request.user)
        .filter(active=True)
        .select_related("resident", "refill_ticket")[:200]
    )
    medicines.sort(key=lambda m: m.runs_out_on)
    return render(
        request,
        "assistance/care.html",
        {"tasks": tasks, "medicines": medicines, "today": today, "form": CheckInForm()},
    )


@login_required
@require_POST
def check_in(request, pk: int):
    task = get_object_or_404(CheckInTask.objects.visible_to(request.user), pk=pk)
    form = CheckInForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        check_in_done(actor=request.user, task=task, **form.cleaned_data)
        messages.success(request, _("Check-in recorded."))
    except (ValidationError, StatusConflict) as exc:
        messages.error(request, _error_text(exc, form))
    return redirect("assistance:care")


@login_required
@answers_bad_query
def medicine_new(request):
    """Put a chronic-illness medicine on file (``?household=<id>``, or ``?resident=<id>`` for that
    resident's household, preselected), or record a new stock count. A ``household`` or ``resident``
    that is not an id is a 400 page naming it; neither given, or a household out of scope, a 404. A
    resident unknown or out of scope is the field error “unknown or out-of-scope resident number:
    <id>” on the page (the same words for both, the typed values kept), never a 404."""
    household_id = query_id(request.GET, "household", _("Household"))
    resident_id = query_id(request.GET, "resident", _("Resident"))
    if household_id is None and resident_id is None:
        raise Http404
    resident_error = ""
    if household_id is not None:
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    else:
        found = Resident.objects.visible_to(request.user).filter(pk=resident_id, is_deceased=False).first()
        household = found.household if found else None
        if household is None:
            resident_error = _("unknown or out-of-scope resident number: %(value)s") % {"value": resident_id}
    members = list(household.residents.filter(is_deceased=False).order_by("birth_date")) if household else []
    form = MedicineForm(request.POST or None, members=members, initial={"resident": resident_id})
    if household is None:
        return render(
            request, "assistance/medicine_new.html", {"household": None, "form": form, "resident_error": resident_error}
        )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        wanted = data.pop("resident")
        resident = next((m for m in members if m.pk == wanted), None)
        try:
            care_medicine_set(actor=request.user, resident=resident, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Medicine saved."))
            return redirect("assistance:care")
    return render(request, "assistance/medicine_new.html", {"household": household, "form": form})


# ------------------------------------------------------------------------------------------ supplies


@login_required
def plans(request):
    """Supply plans in scope, and a form to plan one for an area (sealed areas in force are suggested)."""
    form = PlanForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        division = Division.objects.visible_to(request.user).filter(code=data["code"]).first()
        try:
            if division is None:  # unknown or out of scope: the same words, the input kept
                raise ValidationError(
                    {"code": _("unknown or out-of-scope division code: %(value)s") % {"value": data["code"]}}
                )
            plan = supply_plan_create(
                actor=request.user, division=division, day=data["day"], name=data["name"], contents=data["contents"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("assistance:plan", pk=plan.pk)
    rows = Paginator(
        SupplyPlan.objects.visible_to(request.user).select_related("division").order_by("-day", "path", "id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    suggestions = []
    if can(request.user, Capability.HANDLE_REQUESTS):
        scope = scope_for(request.user)
        rule_set_tiers = ("sealed", "high")
        for area in adapters.sealed_areas(settings.LIANFANG_DISTRICT_CODE, rule_set_tiers):
            for node in area.nodes.all():
                if scope.everything or scope.covers_code(node.code):
                    suggestions.append((area, node.code))
    return render(request, "assistance/plans.html", {"form": form, "page": rows, "suggestions": suggestions[:20]})


def _plan(request, pk: int) -> SupplyPlan:
    plan = SupplyPlan.objects.filter(pk=pk).select_related("division").first()
    if plan is None:
        raise Http404
    # A plan is visible when it lies in the user's scope, or when some of its lines do (a volunteer's compound).
    if not (
        SupplyPlan.objects.visible_to(request.user).filter(pk=pk).exists()
        or SupplyDelivery.objects.visible_to(request.user).filter(plan_id=pk).exists()
    ):
        raise Http404
    return plan


@login_required
def plan_detail(request, pk: int):
    """The delivery checklist per building for volunteers, with progress and the add-a-tenant form."""
    plan = _plan(request, pk)
    groups = selectors.checklist_by_building(plan, user=request.user)
    buildings = list(Division.objects.within(plan.path).filter(level=Level.BUILDING).order_by("code")[:200]) or [
        plan.division
    ]
    return render(
        request,
        "assistance/plan.html",
        {
            "plan": plan,
            "groups": groups,
            "progress": selectors.plan_progress(plan),
            "tenant_form": TenantForm(buildings=buildings),
            "can_close": can(request.user, Capability.HANDLE_REQUESTS, plan.path) and plan.status == "active",
        },
    )


@login_required
@require_POST
def plan_tenant(request, pk: int):
    plan = _plan(request, pk)
    buildings = list(Division.objects.within(plan.path).filter(level=Level.BUILDING)) or [plan.division]
    form = TenantForm(request.POST, buildings=buildings)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        data = form.cleaned_data
        building = next(b for b in buildings if b.pk == data["building"])
        supply_delivery_add_tenant(
            actor=request.user,
            plan=plan,
            building=building,
            room=data["room"],
            headcount=data["headcount"],
            note=data["note"],
        )
        messages.success(request, _("Unregistered tenants added to the checklist."))
    except (ValidationError, StatusConflict) as exc:
        messages.error(request, _error_text(exc, form))
    return redirect("assistance:plan", pk=plan.pk)


@login_required
@require_POST
def delivery_mark(request, pk: int, status: str):
    line = get_object_or_404(SupplyDelivery.objects.visible_to(request.user), pk=pk)
    try:
        if status == "confirm":
            supply_delivery_confirm(actor=request.user, delivery=line)
        else:
            supply_delivery_mark(actor=request.user, delivery=line, status=status, note=request.POST.get("note", ""))
    except (ValidationError, StatusConflict) as exc:
        messages.error(request, _error_text(exc))
    return redirect(f"{reverse('assistance:plan', args=[line.plan_id])}#line-{line.pk}")


@login_required
def plan_undelivered(request, pk: int):
    """The end-of-day list: households of the plan not delivered (pending or failed), by building."""
    plan = _plan(request, pk)
    rows = selectors.undelivered(plan).filter(pk__in=SupplyDelivery.objects.visible_to(request.user).values("pk"))
    return render(request, "assistance/undelivered.html", {"plan": plan, "rows": rows})


@login_required
@require_POST
def plan_close(request, pk: int):
    plan = _plan(request, pk)
    try:
        supply_plan_close(actor=request.user, plan=plan)
    except StatusConflict as exc:
        messages.error(request, _error_text(exc))
    return redirect("assistance:plan_undelivered", pk=plan.pk)


# ------------------------------------------------------------------------------------------ household (QR) pages


def _household_or_404(token: str) -> Household:
    household = selectors.household_for_token(token)
    if household is None:
        raise Http404
    return household


def _resident_page(request, token: str, household: Household, form, status: int = 200):
    public_events = Prefetch("events", queryset=TicketEvent.objects.filter(public=True).order_by("at", "id"))
    return render(
        request,
        "assistance/resident_home.html",
        {
            "token": token,
            "household": household,
            "tickets": list(selectors.household_tickets(household).prefetch_related(public_events)),
            "deliveries": list(selectors.household_deliveries(household)),
            "notices": hooks.household_notices(household),
            "form": form,
        },
        status=status,
    )


def resident_home(request, token: str):
    """The household's own page behind its printed QR link (no account): its requests and their status,
    packs to confirm, notices, and a form to ask for help. Nothing of any other household."""
    household = _household_or_404(token)
    return _resident_page(request, token, household, ResidentIntakeForm())


@require_POST
def resident_new(request, token: str):
    """File a need through the QR link (channel ``qr``); an open ticket for the same need is linked."""
    household = _household_or_404(token)
    form = ResidentIntakeForm(request.POST)
    if form.is_valid():
        try:
            ticket = service_request_create(actor=None, household=household, channel="qr", **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if ticket.linked:
                messages.info(
                    request,
                    _("You had already asked for this: it is request %s, and we added your message.") % ticket.number,
                )
            else:
                messages.success(request, _("Received: request %s. You can follow it on this page.") % ticket.number)
            return redirect("assistance:resident_home", token=token)
    return _resident_page(request, token, household, form, status=400)


@require_POST
def resident_confirm(request, token: str, pk: int):
    """The household confirms that a fulfilled request was done."""
    household = _household_or_404(token)
    ticket = get_object_or_404(ServiceRequest.objects.filter(household=household), pk=pk)
    try:
        service_request_confirm(actor=None, ticket=ticket)
        messages.success(request, _("Thank you: request %s is confirmed.") % ticket.number)
    except StatusConflict as exc:
        messages.error(request, _error_text(exc))
    return redirect("assistance:resident_home", token=token)


@require_POST
def resident_delivery_confirm(request, token: str, pk: int):
    """The household confirms that a supply pack arrived."""
    household = _household_or_404(token)
    line = get_object_or_404(SupplyDelivery.objects.filter(household=household), pk=pk)
    try:
        supply_delivery_confirm(actor=None, delivery=line)
        messages.success(request, _("Thank you: receipt confirmed."))
    except StatusConflict as exc:
        messages.error(request, _error_text(exc))
    return redirect("assistance:resident_home", token=token)
