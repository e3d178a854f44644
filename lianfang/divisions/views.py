"""Division browser: district → street → community → compound → building → households, each listed
division and household with its control tier now (zones.selectors).

A listed division carries ``control_tier`` (the strictest tier covering it, None outside every area)
and ``stricter_inside`` (a stricter tier of an area inside it, else None), as households carry
``control_tier`` (registry.selectors.with_control_tiers)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from lianfang.core.pagination import page_of
from lianfang.core.scoping import scope_for
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.registry.models import Household
from lianfang.registry.selectors import counts_by_child, flag_totals
from lianfang.zones.selectors import tier_index, tier_of_divisions, tier_of_paths


def with_division_tiers(divisions, index=None) -> list[Division]:
    """``divisions`` as a list, each with ``control_tier`` and ``stricter_inside`` (see the module
    docstring) from zones.selectors.tier_of_divisions: two queries whatever their number (none with
    the ``index`` the caller read, zones.selectors.tier_index), none for an empty list. Raises nothing."""
    rows = list(divisions)
    tiers = tier_of_divisions((d.code for d in rows), index=index) if rows else {}
    for d in rows:
        d.control_tier, d.stricter_inside = tiers[d.code].tier, tiers[d.code].stricter_inside
    return rows


@login_required
def index(request):
    """The top divisions the user may see (their assignment roots; districts for an operator), each
    with its control tier."""
    scope = scope_for(request.user)
    if scope.everything:
        roots = list(Division.objects.filter(level=Level.DISTRICT).order_by("code"))
    else:
        roots = list(Division.objects.filter(code__in=scope.codes).order_by("code"))
    return render(request, "divisions/index.html", {"roots": with_division_tiers(roots)})


@login_required
def detail(request, code: str):
    """One division: breadcrumbs, its control tier, children with household/resident counts and
    control tier (``rows``: ``(child, counts)``), and at compound level and below the households
    (paginated, each with its control tier). Out of scope → 404."""
    division = get_object_or_404(Division.objects.visible_to(request.user), code=code)
    scope = scope_for(request.user)
    crumbs = [(a, scope.covers_code(a.code)) for a in division.ancestors()]
    index = tier_index()  # the areas in force, read once for the divisions and the households
    division, *children = with_division_tiers([division, *division.children.order_by("code")], index)
    counts = {}
    if children:
        counts = counts_by_child(user=request.user, parent_code=division.code, child_code_length=len(children[0].code))
    empty = {"households": 0, "residents": 0, "vulnerable": 0}
    rows = [(child, counts.get(child.code, empty)) for child in children]
    totals = {key: sum(c[key] for _, c in rows) for key in empty}
    households = None
    if division.level >= Level.COMPOUND:
        qs = Household.objects.visible_to(request.user).within(division.code).order_by("path", "room", "id")
        households = page_of(request, qs, 50)
        households.object_list = list(households.object_list)
        tiers = tier_of_paths((h.path for h in households.object_list), index=index)
        for h in households.object_list:  # as registry.selectors.with_control_tiers, from the same index
            h.control_tier = tiers[h.path]
    return render(
        request,
        "divisions/detail.html",
        {
            "division": division,
            "crumbs": crumbs,
            "rows": rows,
            "totals": totals,
            "households": households,
            "flags": flag_totals(user=request.user, code=division.code) if division.level <= Level.COMMUNITY else None,
            "child_level_label": Level(division.level + 1).label if division.level < Level.UNIT else "",
            "is_official_level": division.level <= Level.COMMUNITY,
            "code_lengths": CODE_LENGTHS,
        },
    )
