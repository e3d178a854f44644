"""Zones pages: areas and proposals, an area's clock and history, infections, the map, residents by
tier, rule sets, printable public notices. Rows come only from ``visible_to``; writes go through
services.py; a failed rule is shown with its evidence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can, denied_message, primary_assignment
from lianfang.core.filters import (
    BadQuery,
    answers_bad_query,
    bad_query_response,
    query_day,
    query_scoped_code,
)
from lianfang.core.forms import error_lines, field_line, items_line
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import Division, Level
from lianfang.divisions.selectors import place_names
from lianfang.zones import forms, selectors, services
from lianfang.zones.filtersets import ControlAreaFilterSet, InfectionFilterSet
from lianfang.zones.models import (
    NOTICE_EVENTS,
    AreaStatus,
    ControlArea,
    ControlAreaEvent,
    ControlAreaNode,
    Infection,
    Operation,
    OperationStatus,
    RuleSet,
)

PAGE_SIZE = 50


def _error_text(exc: ValidationError) -> str:
    if isinstance(exc, services.ConditionsNotMet):
        return exc.messages[0]
    if hasattr(exc, "error_dict"):
        return items_line(field_line(field, " ".join(msgs)) for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def _open_operation(user) -> Operation | None:
    return (
        Operation.objects.visible_to(user)
        .filter(status=OperationStatus.OPEN)
        .select_related("rule_set", "district")
        .order_by("district__code")
        .first()
    )


def _home_division(user) -> Division | None:
    """The widest division the user is assigned to (a district for a commander, an operator's first
    district)."""
    scope = scope_for(user)
    if scope.everything:
        return Division.objects.filter(level=Level.DISTRICT).order_by("code").first()
    assignment = primary_assignment(user)
    return assignment.division if assignment else None


# --------------------------------------------------------------------------------------------- index


@login_required
def index(request):
    """Areas and proposals in the user's scope, with their stored clocks; the operation in force.
    Filters (ControlAreaFilterSet): a bad value is a 400 page naming the parameter and the value."""
    user = request.user
    operation = _open_operation(user)
    base = (
        ControlArea.objects.visible_to(user)
        .select_related("tier")
        .annotate(node_count=Count("nodes"))
        .order_by("tier__rank", "path", "id")
    )
    filterset = ControlAreaFilterSet(request.GET or None, queryset=base, request=request)
    if request.GET and not filterset.is_valid():
        return bad_query_response(request, filterset.errors)  # 400 naming the parameter and the value
    qs = filterset.qs if request.GET else base.filter(status__in=(AreaStatus.ACTIVE, AreaStatus.PROPOSED))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = selectors.local_day()
    rows = [
        (
            area,
            (today - area.last_infection_on).days if area.last_infection_on else None,
            max(0, (area.earliest_change_on - today).days) if area.earliest_change_on else None,
        )
        for area in page
    ]
    pending = (
        ControlArea.objects.visible_to(user)
        .filter(Q(status=AreaStatus.PROPOSED) | Q(status=AreaStatus.ACTIVE, lift_due_since__isnull=False))
        .count()
    )
    summary = (
        ControlArea.objects.visible_to(user)
        .filter(status=AreaStatus.ACTIVE)
        .values("tier__name", "tier__name_en", "tier__colour", "tier__rank")
        .annotate(n=Count("id"))
        .order_by("tier__rank")
    )
    home = _home_division(user)
    can_open = home is not None and home.level == Level.DISTRICT and can(user, Capability.MANAGE_ZONES, home.code)
    return render(
        request,
        "zones/index.html",
        {
            "operation": operation,
            "filterset": filterset,
            "page": page,
            "rows": rows,
            "pending": pending,
            "summary": summary,
            "english": (request.LANGUAGE_CODE or "").startswith("en"),
            "can_manage": can(user, Capability.MANAGE_ZONES),
            "open_form": forms.OperationForm(user=user, initial={"started_on": today})
            if can_open and operation is None
            else None,
            "change_form": forms.RuleSetChangeForm(user=user, initial={"rule_set": operation.rule_set_id})
            if operation and can(user, Capability.MANAGE_ZONES, operation.district.code)
            else None,
        },
    )


@login_required
@require_POST
def operation_open(request):
    """Open an operation in the user's district (MANAGE_ZONES there)."""
    home = _home_division(request.user)
    form = forms.OperationForm(request.POST, user=request.user)
    if home is None or home.level != Level.DISTRICT:
        raise PermissionDenied(_("Operations are opened by district staff."))
    if form.is_valid():
        try:
            services.operation_open(
                actor=request.user,
                district=home,
                name=form.cleaned_data["name"],
                rule_set=form.cleaned_data["rule_set"],
                started_on=form.cleaned_data["started_on"],
            )
            messages.success(request, _("Operation opened."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.error(request, " ".join(error_lines(form)))
    return redirect("zones:index")


@login_required
@require_POST
def operation_rule_set(request, pk: int):
    """Switch the operation's rule set (MANAGE_ZONES at the district), with a reason."""
    operation = get_object_or_404(Operation.objects.visible_to(request.user).select_related("district"), pk=pk)
    form = forms.RuleSetChangeForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.operation_rule_set_change(
                actor=request.user,
                operation=operation,
                rule_set=form.cleaned_data["rule_set"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Rule set changed."))
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    else:
        messages.error(request, " ".join(error_lines(form)))
    return redirect("zones:index")


# --------------------------------------------------------------------------------------------- areas


def _candidates(area: ControlArea, nodes: list[Division]) -> list[Division]:
    """Places a commander may tick when adjusting a proposal: the current ones, their parents,
    siblings and children (inside the district), at most 80."""
    district = area.operation.district.code
    parent_ids = {n.parent_id for n in nodes if n.parent_id}
    qs = Division.objects.filter(
        Q(pk__in=[n.pk for n in nodes]) | Q(pk__in=parent_ids) | Q(parent_id__in=parent_ids) | Q(parent__in=nodes)
    ).filter(code__startswith=district)
    if not area.tier.is_baseline:
        qs = qs.filter(level__gte=Level.STREET)
    return list(qs.order_by("code")[:80])


def _area_or_404(request, pk: int) -> ControlArea:
    return get_object_or_404(
        ControlArea.objects.visible_to(request.user).select_related(
            "tier", "tier__rule_set", "operation", "operation__district", "infection", "predecessor"
        ),
        pk=pk,
    )


@login_required
def area_detail(request, pk: int):
    """One area: places and people, clock and conditions with evidence, history, actions."""
    user = request.user
    area = _area_or_404(request, pk)
    nodes = [n.division for n in area.nodes.select_related("division").order_by("code")]
    clock = selectors.area_clock(area) if area.status == AreaStatus.ACTIVE else None
    can_manage = can(user, Capability.MANAGE_ZONES, area.path)
    scope = scope_for(user)
    successors = list(area.successors.select_related("tier"))
    links = selectors.area_links(area, successors, user=user)
    context = {
        "area": area,
        "nodes": nodes,
        # (division, linked): link only the division pages the user may open (a representative may not)
        "places": [(n, scope.covers_code(n.code)) for n in nodes],
        "population": selectors.area_population(area, user=user),
        "clock": clock,
        "events": area.events.select_related("actor", "related_area"),
        "evidence": area.evidence.select_related("entered_by"),
        # (area, linked): link only the areas and the infection the user may open
        "successors": [(s, links["areas"][s.pk]) for s in successors],
        "predecessor_linked": links["areas"].get(area.predecessor_id, False),
        "infection_linked": links["infection"],
        "can_manage": can_manage,
        "can_override": can(user, Capability.OVERRIDE, area.path),
        "too_wide": services.too_wide_nodes(area.tier, [n.code for n in nodes]),
        "notice_events": NOTICE_EVENTS,
    }
    if can_manage and area.status == AreaStatus.PROPOSED:
        context["approve_form"] = forms.ApproveForm()
        context["withdraw_form"] = forms.WithdrawForm()
        context["nodes_form"] = forms.NodesForm(
            user=user, candidates=_candidates(area, nodes), initial={"nodes": [n.code for n in nodes]}
        )
    if can_manage and area.status == AreaStatus.ACTIVE:
        context["change_form"] = forms.ChangeForm()
        context["evidence_form"] = forms.EvidenceForm(initial={"day": selectors.local_day(), "all_negative": True})
    return render(request, "zones/area_detail.html", context)


def _run(request, area: ControlArea, call, success: str):
    """Call a service; show its refusal (with the failing conditions) or ``success``; back to the area."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("zones:area", pk=area.pk)


def _area_action(request, pk: int, make_form, call, success: str):
    """POST on an area: 404 out of scope, 403 without MANAGE_ZONES there, the form's errors, then
    ``call(area, cleaned_data)`` through :func:`_run`."""
    area = _area_or_404(request, pk)
    if not can(request.user, Capability.MANAGE_ZONES, area.path):
        raise PermissionDenied(denied_message(Capability.MANAGE_ZONES, area.path))
    form = make_form(area)
    if not form.is_valid():
        messages.error(request, " ".join(error_lines(form)))
        return redirect("zones:area", pk=pk)
    return _run(request, area, lambda: call(area, form.cleaned_data), success)


@login_required
@require_POST
def area_approve(request, pk: int):
    return _area_action(
        request,
        pk,
        lambda area: forms.ApproveForm(request.POST),
        lambda area, data: services.control_area_approve(actor=request.user, area=area, **data),
        _("Approved: the area is in force."),
    )


@login_required
@require_POST
def area_withdraw(request, pk: int):
    return _area_action(
        request,
        pk,
        lambda area: forms.WithdrawForm(request.POST),
        lambda area, data: services.control_area_withdraw(actor=request.user, area=area, reason=data["reason"]),
        _("Proposal withdrawn."),
    )


@login_required
@require_POST
def area_nodes(request, pk: int):
    def make_form(area):
        nodes = [n.division for n in area.nodes.select_related("division")]
        return forms.NodesForm(request.POST, user=request.user, candidates=_candidates(area, nodes))

    return _area_action(
        request,
        pk,
        make_form,
        lambda area, data: services.control_area_nodes_set(
            actor=request.user, area=area, nodes=data["divisions"], note=data["note"]
        ),
        _("Places adjusted."),
    )


@login_required
@require_POST
def area_change(request, pk: int, action: str):
    """Lift or downgrade an active area (``action`` is ``lift`` or ``downgrade``)."""
    service = services.control_area_lift if action == "lift" else services.control_area_downgrade
    return _area_action(
        request,
        pk,
        lambda area: forms.ChangeForm(request.POST),
        lambda area, data: service(actor=request.user, area=area, **data),
        _("Lifted.") if action == "lift" else _("Downgraded."),
    )


@login_required
@require_POST
def area_evidence(request, pk: int):
    return _area_action(
        request,
        pk,
        lambda area: forms.EvidenceForm(request.POST),
        lambda area, data: services.manual_evidence_add(actor=request.user, area=area, **data),
        _("Evidence recorded."),
    )


@login_required
def notice(request, pk: int, event_pk: int):
    """A printable public notice of one change of an area: places, tier, measures, time; never people."""
    area = _area_or_404(request, pk)
    event = get_object_or_404(ControlAreaEvent.objects.filter(area=area, kind__in=NOTICE_EVENTS), pk=event_pk)
    codes = list(area.nodes.order_by("code").values_list("code", flat=True))
    names = place_names(codes, below=Level.DISTRICT, sep=" ")  # written as an address: 西园街道 下西园社区 阳光小区
    places = [names[code] for code in codes]
    successor = event.related_area if event.kind in ("upgraded", "downgraded") else None
    return render(
        request,
        "zones/notice.html",
        {
            "area": area,
            "event": event,
            "places": places,
            "successor": successor,
            "district": area.operation.district,
            "english": (request.LANGUAGE_CODE or "").startswith("en"),
        },
    )


# --------------------------------------------------------------------------------------------- infections


@login_required
def infections(request):
    """Infections in the user's scope (filters: within, detected_after/before, operation); a bad
    value is a 400 page naming the parameter and the value."""
    qs = Infection.objects.visible_to(request.user).select_related("residence").order_by("-detected_on", "-id")
    filterset = InfectionFilterSet(request.GET or None, queryset=qs, request=request)
    if request.GET:
        if not filterset.is_valid():
            return bad_query_response(request, filterset.errors)
        qs = filterset.qs
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    operation = _open_operation(request.user)
    return render(
        request,
        "zones/infections.html",
        {
            "filterset": filterset,
            "page": page,
            "operation": operation,
            "can_manage": can(request.user, Capability.MANAGE_ZONES),
        },
    )


@login_required
def infection_new(request):
    """Enter an infection; the proposals it raises are shown on the infection's page."""
    operation = _open_operation(request.user)
    if operation is None or not can(request.user, Capability.MANAGE_ZONES):
        raise PermissionDenied(_("No open operation, or you may not manage control areas."))
    form = forms.InfectionForm(request.POST or None, user=request.user, initial={"propose": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.infection_record(
                actor=request.user,
                operation=operation,
                onset_on=data["onset_on"],
                positive_sample_on=data["positive_sample_on"],
                resident=data["resident_obj"],
                residence=data["residence"],
                person_name=data["person_name"],
                places=[services.PlaceInput(division=d, kind=k) for d, k in data["places"]],
                note=data["note"],
                propose=data["propose"],
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                # the resident is a hidden field: its error (already recorded) reads above the form
                target = {"residence": "residence_code", "resident": None}.get(field, field)
                form.add_error(target if target in form.fields else None, errors)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            n = len(result.proposals)
            raised = ngettext(
                "Infection recorded; %(n)d proposal raised.", "Infection recorded; %(n)d proposals raised.", n
            )
            messages.success(request, raised % {"n": n})
            return redirect("zones:infection", pk=result.infection.pk)
    return render(request, "zones/infection_form.html", {"form": form, "operation": operation})


@login_required
def resident_search(request):
    """htmx: up to 10 residents in scope matching ``q`` (name, initials, ID/phone last 4), as radios;
    each search is audited (registry.services.record_search: masked query, residents shown)."""
    from lianfang.registry.selectors import search_residents  # noqa: PLC0415
    from lianfang.registry.services import record_search  # noqa: PLC0415

    query = request.GET.get("q", "").strip()
    found = list(search_residents(user=request.user, query=query).order_by("name", "id")[:10]) if query else []
    record_search(actor=request.user, params={"q": query}, results=len(found), where="page:zones.resident_search")
    return render(request, "zones/_resident_choices.html", {"found": found, "query": query})


def _proposal_rows(user, areas) -> list[tuple]:
    return [(a, selectors.area_population(a, user=user)) for a in areas]


@login_required
def infection_detail(request, pk: int):
    """An infection and the areas proposed for it, with households and residents in each."""
    infection = get_object_or_404(
        Infection.objects.visible_to(request.user).select_related("operation", "residence", "household"), pk=pk
    )
    areas = list(
        ControlArea.objects.visible_to(request.user)
        .filter(infection=infection)
        .select_related("tier", "predecessor")
        .prefetch_related("nodes__division")
        .order_by("tier__rank", "id")
    )
    return render(
        request,
        "zones/infection_detail.html",
        {
            "infection": infection,
            "places": infection.places.select_related("division"),
            "rows": _proposal_rows(request.user, areas),
            "has_proposals": any(a.status == AreaStatus.PROPOSED for a in areas),
            "can_manage": can(request.user, Capability.MANAGE_ZONES, infection.path),
        },
    )


@login_required
@require_POST
def infection_approve(request, pk: int):
    """Approve every proposal of the infection the user may approve, strictest first."""
    infection = get_object_or_404(Infection.objects.visible_to(request.user), pk=pk)
    proposals = (
        ControlArea.objects.visible_to(request.user)
        .filter(infection=infection, status=AreaStatus.PROPOSED)
        .select_related("tier", "predecessor", "operation")
        .order_by("tier__rank", "id")
    )
    approved = 0
    for area in proposals:
        try:
            services.control_area_approve(actor=request.user, area=area)
            approved += 1
        except (ValidationError, PermissionDenied) as exc:
            text = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, f"{area.name} · {area.tier}: {text}")
    if approved:
        messages.success(
            request,
            ngettext("%(n)d area approved and in force.", "%(n)d areas approved and in force.", approved)
            % {"n": approved},
        )
    return redirect("zones:infection", pk=pk)


# --------------------------------------------------------------------------------------------- map, tiers


@login_required
@answers_bad_query
def map_page(request):
    """A Leaflet map of the district's schematic shapes coloured by tier, for a chosen day (``?day=``
    YYYY-MM-DD, default today; anything else is a 400 page naming the parameter and the value)."""
    day = query_day(request.GET, "day")
    operation = _open_operation(request.user)
    tiers = selectors.tiers_of(operation.rule_set) if operation else []
    at = selectors.instant(day) if day else None
    in_force = (
        ControlArea.objects.visible_to(request.user).in_force(at).select_related("tier").order_by("tier__rank", "path")
    )
    return render(
        request,
        "zones/map.html",
        {
            "day": day or selectors.local_day(),
            "tiers": tiers,
            "areas": in_force,
            "data_url": reverse("zones:map_data"),
        },
    )


@login_required
def map_data(request):
    """GeoJSON of the divisions the user may see (streets, communities, compounds, and deeper area
    places) and the places of the control areas they may read (ControlArea.objects.visible_to: a
    household representative's district) with the strictest tier covering each, at the end of
    ``?day=`` (default now). A day that is not a date answers 400
    ``{"day": ["“<value>” is not a date (YYYY-MM-DD)"]}`` (translated)."""
    try:
        day = query_day(request.GET, "day")
    except BadQuery as exc:
        return JsonResponse(exc.errors, status=400)
    index = selectors.tier_index(day)
    area_codes = [c for c in index.codes if len(c) > 15]
    visible = Division.objects.visible_to(request.user).filter(
        Q(level__in=(Level.STREET, Level.COMMUNITY, Level.COMPOUND)) | Q(code__in=area_codes)
    )
    # the places of the areas in force that the user may read (a household representative sees no
    # division, yet reads the areas of their district: ControlArea.objects.visible_to)
    readable = ControlAreaNode.objects.filter(
        area__in=ControlArea.objects.visible_to(request.user).in_force(selectors.instant(day)).values("pk")
    ).values("code")
    rows = (
        Division.objects.filter(geometry__isnull=False)
        .filter(Q(pk__in=visible.values("pk")) | Q(code__in=readable))
        .order_by("level", "code")
        .values("code", "short_name", "level", "geometry")
    )
    features = []
    for row in rows:
        tier = index.tier_for(row["code"])
        features.append(
            {
                "type": "Feature",
                "geometry": row["geometry"],
                "properties": {
                    "code": row["code"],
                    "name": row["short_name"],
                    "level": row["level"],
                    "tier": tier.key if tier else None,
                    "tier_name": tier.display_name if tier else "",
                    "colour": tier.colour if tier else None,
                    "rank": tier.rank if tier else None,
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "day": str(day or selectors.local_day()), "features": features})


@login_required
@answers_bad_query
def tiers_page(request):
    """Households and residents by tier per street or community (``?within=`` a division code, default
    the user's own division) at the end of ``?day=`` (YYYY-MM-DD, default now).

    ``within`` may name a division above the user's scope (a grid worker of a compound following a
    link to their community, core.scoping.reaches): the table then shows their own part, every
    figure from ``visible_to``. A division holding nothing of theirs (unknown or another community),
    or a ``within`` or ``day`` that cannot be read, is a 400 page naming it, as on the list pages
    (core.filters.query_scoped_code)."""
    code = query_scoped_code(request.user, request.GET, "within")
    parent = Division.objects.get(code=code) if code else _home_division(request.user)
    day = query_day(request.GET, "day")
    table = selectors.counts_by_tier(user=request.user, parent=parent, on=day) if parent else None
    crumbs = []
    if parent is not None:
        scope = scope_for(request.user)
        crumbs = [a for a in parent.ancestors() if scope.covers_code(a.code)]
    return render(
        request,
        "zones/tiers.html",
        {"parent": parent, "table": table, "crumbs": crumbs, "day": day, "now": timezone.now()},
    )


# --------------------------------------------------------------------------------------------- rule sets


@login_required
def rule_sets(request):
    """The rule sets the user may see: the shipped ones and their district's local variants."""
    sets = (
        RuleSet.objects.visible_to(request.user)
        .select_related("based_on", "district")
        .order_by("effective_from", "key")
    )
    return render(request, "zones/rule_sets.html", {"rule_sets": sets})


@login_required
def rule_set_detail(request, key: str):
    """One rule set: tiers and measures, lifting rules, quarantine, sources; copy or edit."""
    rule_set = get_object_or_404(RuleSet.objects.visible_to(request.user), key=key)
    tiers = list(rule_set.tiers.select_related("upgrade_to").prefetch_related("lift_rules__to_tier").order_by("rank"))
    home = _home_division(request.user)
    can_copy = (
        home is not None and home.level == Level.DISTRICT and can(request.user, Capability.MANAGE_ZONES, home.code)
    )
    can_edit = (
        not rule_set.is_builtin
        and rule_set.district_id
        and can(request.user, Capability.MANAGE_ZONES, rule_set.district.code)
    )
    return render(
        request,
        "zones/rule_set_detail.html",
        {
            "rule_set": rule_set,
            "tiers": tiers,
            "close": rule_set.quarantine_for("close"),
            "secondary": rule_set.quarantine_for("secondary"),
            "copy_form": forms.RuleSetCopyForm(initial={"key": f"{rule_set.key}-local"}) if can_copy else None,
            "can_edit": can_edit,
        },
    )


@login_required
@require_POST
def rule_set_copy(request, key: str):
    rule_set = get_object_or_404(RuleSet.objects.visible_to(request.user), key=key)
    home = _home_division(request.user)
    form = forms.RuleSetCopyForm(request.POST)
    if home is None or home.level != Level.DISTRICT:
        raise PermissionDenied(_("Local rule sets are made by district staff."))
    if not form.is_valid():
        messages.error(request, " ".join(error_lines(form)))
        return redirect("zones:rule_set", key=key)
    try:
        copy = services.rule_set_copy(actor=request.user, rule_set=rule_set, district=home, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("zones:rule_set", key=key)
    messages.success(request, _("Local variant created: change its values below."))
    return redirect("zones:rule_set_edit", key=copy.key)


@login_required
def rule_set_edit(request, key: str):
    """Change the numbers of a local variant (shipped sets are never edited)."""
    rule_set = get_object_or_404(RuleSet.objects.visible_to(request.user).select_related("district"), key=key)
    if rule_set.is_builtin or not rule_set.district_id:
        raise PermissionDenied(_("Shipped rule sets cannot be changed: copy one."))
    if not can(request.user, Capability.MANAGE_ZONES, rule_set.district.code):
        raise PermissionDenied(denied_message(Capability.MANAGE_ZONES, rule_set.district.code))
    form = forms.RuleSetEditForm(request.POST or None, rule_set=rule_set)
    if request.method == "POST" and form.is_valid():
        values, tier_values, rule_values = form.changes()
        if form.is_valid():
            try:
                services.rule_set_update(
                    actor=request.user,
                    rule_set=rule_set,
                    values=values,
                    tier_values=tier_values,
                    rule_values=rule_values,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, _("Rule set saved."))
                return redirect("zones:rule_set", key=key)
    return render(request, "zones/rule_set_edit.html", {"rule_set": rule_set, "form": form})
