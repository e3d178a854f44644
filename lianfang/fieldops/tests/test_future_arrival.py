"""A person found by screening cannot have arrived on a day still to come: ``arrived_on`` in the
future is refused naming the field and the day, through the API and the page form, as
``last_exposure_on`` already was (core.filters.future_day_error, the one rule of a day that must not be
in the future; the form's DayField(past_only=True) refuses it first and its date picker offers no day
to come)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianfang.fieldops.models import ScreenedPerson

from .conftest import today

pytestmark = pytest.mark.django_db


def test_api_refuses_a_future_arrival(population, community_staff, api_for):
    api = api_for(community_staff)
    body = {"category": "inflow", "name": "未来", "arrived_on": "9998-12-31", "division": "620103001001"}
    response = api.post("/api/v1/fieldops/people/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"arrived_on": ["“9998-12-31”尚未到来"]}
    response = api.post("/api/v1/fieldops/people/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"arrived_on": ["“9998-12-31” is in the future"]}
    assert not ScreenedPerson.objects.filter(name="未来").exists()
    # today is no future: the person is added
    body["arrived_on"] = today().isoformat()
    response = api.post("/api/v1/fieldops/people/", body, format="json")
    assert response.status_code == 201
    assert ScreenedPerson.objects.get(name="未来").arrived_on == today()


def test_page_form_refuses_a_future_arrival(population, community_staff, client_for):
    client = client_for(community_staff)
    response = client.post(
        reverse("fieldops:person_new") + "?within=620103001001",
        {"category": "inflow", "name": "未来", "division": "620103001001", "arrived_on": "9998-12-31"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"arrived_on": ["“9998-12-31”尚未到来"]}  # at the field, with its label
    assert response.context["form"]["name"].value() == "未来"  # what was typed is kept
    assert "“9998-12-31”尚未到来" in response.content.decode()
    assert not ScreenedPerson.objects.filter(name="未来").exists()
