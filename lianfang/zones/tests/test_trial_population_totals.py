"""New-user trial: an area in force counted fewer people while a stricter proposal nobody had
approved lay inside it, and the residents-by-tier table's total row gave residents but no households."""

import re

import pytest
from django.urls import reverse

from lianfang.zones import selectors
from lianfang.zones.services import control_area_declare
from lianfang.zones.tests.conftest import at, d, put_in_force, tier

pytestmark = pytest.mark.django_db


def test_a_proposal_takes_no_one_out_of_an_area_in_force(town, operation, district_commander):
    controlled = put_in_force(
        district_commander, operation, "controlled", [town["compound_a"].parent], day=d("2022-03-27")
    )
    before = selectors.area_population(controlled)
    assert before == {"households": 4, "residents": 7}  # 下西园: h1, h2, h4, h5
    proposal = control_area_declare(
        actor=district_commander,
        operation=operation,
        tier=tier(operation, "sealed"),
        nodes=[town["compound_a"]],
        at=at(d("2022-03-28"), 8),
    )
    assert proposal.status == "proposed"
    assert selectors.area_population(controlled) == before
    # the proposal itself is sized as it would govern: its own compound (h1, h2)
    assert selectors.area_population(proposal) == {"households": 2, "residents": 4}


def test_the_tier_table_total_row_has_households(town, operation, district_commander, client_for):
    put_in_force(district_commander, operation, "sealed", [town["compound_a"]], day=d("2022-03-27"))
    page = client_for(district_commander).get(reverse("zones:tiers"), {"within": "620103001"})
    html = page.content.decode()
    table = page.context["table"]
    for key in [t.key for t in table.tiers] + ["none"]:
        tier_id = next((t.pk for t in table.tiers if t.key == key), None)
        cells = [cells.get(tier_id) for _child, cells in table.rows]
        households = sum(c["households"] for c in cells if c)
        shown = re.search(rf'data-total-households="{key}">([\d,]+)<', html)
        assert shown is not None, key
        assert int(shown.group(1).replace(",", "")) == households
    sealed = re.search(r'data-total-households="sealed">([\d,]+)<', html).group(1)
    assert sealed == "2"
