"""Registry pages: households, residents, search, and the audited reveal of personal data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lianfang.accounts.roles import Capability
from lianfang.accounts.selectors import can
from lianfang.core.filters import answers_bad_query, bad_query_response, search_text
from lianfang.core.pagination import page_of
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import Level
from lianfang.divisions.selectors import place_name
from lianfang.registry import services
from lianfang.registry.filtersets import HouseholdFilterSet, ResidentPageFilterSet
from lianfang.registry.models import Household, Relation, Resident
from lianfang.registry.selectors import search_residents, with_control_tiers

RELATION_ORDER = Case(
    *[When(relation=value, then=Value(i)) for i, value in enumerate(Relation.values)], output_field=IntegerField()
)


@login_required
def household_detail(request, pk: int):
    """A household with its members (masked) and its control tier now; out of scope → 404. Breadcrumbs
    link only the community/compound/building pages the user's scope covers (a household
    representative sees none)."""
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("community", "compound", "building", "unit"), pk=pk
    )
    (household,) = with_control_tiers([household])
    members = household.residents.select_related("guardian").order_by(RELATION_ORDER, "birth_date")
    scope = scope_for(request.user)
    nodes = (household.community, household.compound, household.building)
    crumbs = [(node, scope.covers_code(node.code)) for node in nodes if node is not None]
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "crumbs": crumbs,  # (division, linked): only the divisions the user may open are links
            "members": members,
            "can_reveal": can(request.user, Capability.REVEAL_PII, household.path),
        },
    )


@login_required
def resident_detail(request, pk: int):
    """One resident (masked, with reveal buttons for those allowed); out of scope → 404."""
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household", "guardian"), pk=pk
    )
    return render(
        request,
        "registry/resident_detail.html",
        {
            "resident": resident,
            "can_reveal": can(request.user, Capability.REVEAL_PII, resident.path),
        },
    )


def _reveal_refused(request, status: int, detail: str) -> HttpResponse:
    """The reveal cell's refusal for htmx: a short translated fragment (“not allowed” / “not found”)
    with ``status`` (403/404) that replaces the masked value in its cell (registry/_pii.html lets htmx
    swap these two statuses), ``detail`` in its title."""
    text = _("not allowed") if status == 403 else _("not found")
    return render(
        request, "registry/_reveal_refused.html", {"text": text, "detail": detail, "status": status}, status=status
    )


@login_required
@require_POST
def reveal(request, kind: str, pk: int, field: str):
    """Return the unmasked ``field`` (``id`` or ``phone``) of a resident or household, audited.

    404 when out of scope; 403 without the REVEAL_PII capability; 400 for an unknown field. For htmx
    (the “Show” button) the 403 and 404 are a short fragment that fits the cell (:func:`_reveal_refused`);
    other requests get the site's error pages.
    """
    model = {"resident": Resident, "household": Household}.get(kind)
    if model is None or field not in ("id", "phone") or (model is Household and field == "id"):
        return HttpResponseBadRequest(
            _("“%(kind)s %(field)s” cannot be revealed: only a resident's ID or phone and a household's phone")
            % {"kind": kind, "field": field}
        )
    obj = model.objects.visible_to(request.user).filter(pk=pk).first()
    if obj is None:
        if request.htmx:
            detail = _("This person or household is not in your area, or no longer exists.")
            return _reveal_refused(request, 404, detail)
        raise Http404
    if not can(request.user, Capability.REVEAL_PII, obj.path):
        message = _("you may not see unmasked ID and phone numbers here")
        if request.htmx:
            return _reveal_refused(request, 403, message)
        raise PermissionDenied(message)
    value = services.reveal(actor=request.user, obj=obj, field=field, reason=request.POST.get("reason", ""))
    return HttpResponse(format_html('<span class="pii" data-testid="revealed">{}</span>', value))


@login_required
@answers_bad_query
def search(request):
    """Search residents by name, pinyin initials, last digits of ID or phone, full ID or phone; every
    search is audited once (services.record_search: masked query and result count). A ``q`` over
    core.filters.SEARCH_MAX_LENGTH characters is the 400 page naming it and the limit, not searched
    nor audited (core.filters.search_text)."""
    query = search_text(request.GET.get("q"))
    page = None
    if query.strip():
        qs = search_residents(user=request.user, query=query).order_by("name", "id")
        page = page_of(request, qs, 50)
        services.record_search(
            actor=request.user, params={"q": query}, results=page.paginator.count, where="page:registry.search"
        )
    return render(request, "registry/search.html", {"query": query, "page": page})


@login_required
def residents(request):
    """Resident list with the shared filters (within, flag, residence status, q/search, id_number,
    phone); a list that looks people up (q, search, id_number or phone) is audited once."""
    filterset = ResidentPageFilterSet(
        request.GET,
        queryset=Resident.objects.visible_to(request.user).select_related("household").order_by("path", "id"),
        request=request,
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)  # 400 naming the parameter and value
    page = page_of(request, filterset.qs, 50)
    services.record_search(
        actor=request.user, params=request.GET, results=page.paginator.count, where="page:registry.residents"
    )  # only when q, search, id_number or phone is given
    return render(request, "registry/residents.html", {"filterset": filterset, "page": page})


def _within_shown(scope, within: str | None) -> str | None:
    """The division code the households page says it shows for the query's ``within``: ``within``
    itself when inside ``scope``; when ``within`` is wider than the scope (a community's staff or a
    grid worker naming the district: core.filters.ScopedWithinFilter narrows it to their part), the
    scope's one root — the place actually shown — or None (no banner) when the scope has several
    roots or only households (a representative). None without ``within``."""
    if not within or scope.covers_code(within):
        return within or None
    return scope.codes[0] if len(scope.codes) == 1 else None


@login_required
def my_households(request):
    """The households in the user's scope (for a household representative: their households, titled
    “My households”; for anyone scoped to places: “Households in my area”), each with its control tier now.

    Narrowed by the API's filters (filtersets.HouseholdFilterSet): ``within`` (a division code: the
    households inside it), ``community`` and ``compound``. A malformed code, or one of a division holding
    nothing the user may see (unknown, another community), is the 400 page naming the parameter and the
    value (core.filters.ScopedWithinFilter, as on the resident list), never a wider or another area."""
    filterset = HouseholdFilterSet(
        request.GET, queryset=Household.objects.visible_to(request.user).order_by("path", "room", "id"), request=request
    )
    if not filterset.is_valid():
        return bad_query_response(request, filterset.errors)  # 400 naming the parameter and value
    page = page_of(request, filterset.qs, 50)
    page.object_list = with_control_tiers(page.object_list)  # each with control_tier (constant queries)
    scope = scope_for(request.user)
    # a representative's own households are "mine"; staff of a place see the place's households
    title = _("My households") if not scope.everything and not scope.codes else _("Households in my area")
    within = _within_shown(scope, filterset.form.cleaned_data.get("within"))
    place = place_name(within, below=Level.DISTRICT) if within else ""
    context = {"households": page, "title": title, "within": within, "place": place}
    return render(request, "registry/my_households.html", context)
