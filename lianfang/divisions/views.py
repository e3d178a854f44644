"""Division browser: district → street → community → compound → building → households."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from lianfang.core.scoping import scope_for
from lianfang.divisions.models import CODE_LENGTHS, Division, Level
from lianfang.registry.models import Household
from lianfang.registry.selectors import counts_by_child, flag_totals


@login_required
def index(request):
    """The top divisions the user may see (their assignment roots; districts for an operator)."""
    scope = scope_for(request.user)
    if scope.everything:
        roots = Division.objects.filter(level=Level.DISTRICT)
    else:
        roots = Division.objects.filter(code__in=scope.codes)
    return render(request, "divisions/index.html", {"roots": roots})


@login_required
def detail(request, code: str):
    """One division: breadcrumbs, children with household/resident counts, and at compound level and
    below the households (paginated). Out of scope → 404."""
    division = get_object_or_404(Division.objects.visible_to(request.user), code=code)
    scope = scope_for(request.user)
    crumbs = [(a, scope.covers_code(a.code)) for a in division.ancestors()]
    children = list(division.children.order_by("code"))
    counts = {}
    if children:
        counts = counts_by_child(user=request.user, parent_code=division.code, child_code_length=len(children[0].code))
    rows = [(child, counts.get(child.code, {"households": 0, "residents": 0, "vulnerable": 0})) for child in children]
    totals = {
        "households": sum(c["households"] for _, c in rows),
        "residents": sum(c["residents"] for _, c in rows),
        "vulnerable": sum(c["vulnerable"] for _, c in rows),
    }
    households = None
    if division.level >= Level.COMPOUND:
        qs = Household.objects.visible_to(request.user).within(division.code).order_by("path", "room", "id")
        households = Paginator(qs, 50).get_page(request.GET.get("page"))
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
