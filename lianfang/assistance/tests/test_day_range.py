"""A day outside core's usable range (0002-01-01 … 9998-12-31) typed into an assistance form is a
field error naming the value (core.filters.validate_usable_day), never a 500 from the day arithmetic
behind it, and nothing is recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.assistance.models import SupplyPlan

pytestmark = pytest.mark.django_db


def test_supply_plan_form_refuses_a_day_past_the_usable_range(grid, client_for):
    client = client_for(grid["staff_user"])
    body = {"code": grid["compound_a"].code, "day": "9999-12-31", "name": "蔬菜包", "contents": ""}
    response = client.post(reverse("assistance:plans"), body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.context["form"].errors == {"day": ["“9999-12-31”超出可用的日期范围（0002-01-01 至 9998-12-31）"]}
    assert not SupplyPlan.objects.exists()
