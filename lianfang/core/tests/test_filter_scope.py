"""Choice filters built from foreign keys offer and accept only rows in the viewer's scope (core.filters
FilterSet): a community-scoped user's form does not list another community's households, and naming
one is a 400 naming the parameter, on the page and in the API."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from lianfang.assistance.filtersets import ServiceRequestFilterSet
from lianfang.assistance.models import ServiceRequest
from lianfang.core.filters import FilterBackend
from lianfang.fieldops.filtersets import HomeMonitoringFilterSet
from lianfang.fieldops.models import HomeMonitoring
from lianfang.registry.models import Household, Resident


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.django_db
def test_form_offers_only_households_in_scope(population, community_staff, other_community_staff):
    mine = {population["h1"].pk, population["h2"].pk}
    form = ServiceRequestFilterSet({}, queryset=ServiceRequest.objects.none(), request=_request(community_staff)).form
    assert {h.pk for h in form.fields["household"].queryset} == mine
    # the same base class serves every app: fieldops' generated household filter too
    form = HomeMonitoringFilterSet(
        {}, queryset=HomeMonitoring.objects.none(), request=_request(other_community_staff)
    ).form
    assert {h.pk for h in form.fields["household"].queryset} == {population["h3"].pk}


@pytest.mark.django_db
def test_no_request_offers_nothing(population):
    form = ServiceRequestFilterSet({}, queryset=ServiceRequest.objects.none()).form
    assert list(form.fields["household"].queryset) == []


@pytest.mark.django_db
def test_foreign_household_is_not_a_choice(population, community_staff):
    data = {"household": str(population["h3"].pk)}
    filterset = ServiceRequestFilterSet(data, queryset=ServiceRequest.objects.none(), request=_request(community_staff))
    assert not filterset.is_valid()
    assert list(filterset.errors) == ["household"]
    data = {"household": str(population["h1"].pk)}
    filterset = ServiceRequestFilterSet(data, queryset=ServiceRequest.objects.none(), request=_request(community_staff))
    assert filterset.is_valid(), filterset.errors


@pytest.mark.django_db
def test_page_answers_400_for_a_foreign_household(population, community_staff, client_for):
    client = client_for(community_staff)
    response = client.get("/assistance/tickets/", {"household": population["h3"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "household" in response.content.decode()
    assert client.get("/assistance/tickets/", {"household": population["h1"].pk}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/service-requests/", "/api/v1/fieldops/monitoring/"])
def test_api_answers_400_naming_the_parameter(population, community_staff, api_for, url):
    api = api_for(community_staff)
    response = api.get(url, {"household": population["h3"].pk})
    assert response.status_code == 400
    assert list(response.json()) == ["household"]
    assert api.get(url, {"household": population["h1"].pk}).status_code == 200


@pytest.mark.django_db
def test_backend_scopes_filterset_fields(population, community_staff):
    """Views with ``filterset_fields`` (screening) get FilterSets built on the scoped base."""

    class View:
        filterset_fields = ["household"]

    backend = FilterBackend()
    request = _request(community_staff)
    request.query_params = {"household": str(population["h3"].pk)}
    filterset = backend.get_filterset(request, Resident.objects.visible_to(community_staff), View())
    assert set(filterset.form.fields["household"].queryset) == set(
        Household.objects.filter(pk__in=[population["h1"].pk, population["h2"].pk])
    )
    assert not filterset.is_valid()
    assert list(filterset.errors) == ["household"]
