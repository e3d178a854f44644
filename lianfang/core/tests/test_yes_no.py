"""Every yes/no query filter (core.filters.YesNoFilter, and every plain django-filter BooleanFilter
through core.filters.FilterBackend / FilterSet) refuses a value it cannot read with a 400 naming the
parameter, the value and the accepted values, instead of listing everything unfiltered."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from lianfang.core.filters import YesNoField

BOOLEAN_PARAMS = [
    ("/api/v1/fieldops/gates/", "is_active"),
    ("/api/v1/assignments/", "current"),
    ("/api/v1/workers/", "has_account"),
    ("/api/v1/rule-sets/", "shipped"),
    ("/api/v1/service-requests/", "overdue"),
]


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.mark.parametrize(("url", "name"), BOOLEAN_PARAMS)
def test_unreadable_boolean_is_400_naming_parameter_value_and_choices(api_for, district_commander, url, name):
    api = api_for(district_commander)
    response = api.get(url, {name: "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, (url, response.content[:300])
    assert list(response.json()) == [name]
    (message,) = response.json()[name]
    assert "“abc”" in message and "true" in message and "false" in message
    zh = api.get(url, {name: "abc"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400
    assert "abc" in zh.json()[name][0] and "是" in zh.json()[name][0]


@pytest.mark.parametrize(("url", "name"), BOOLEAN_PARAMS[:4])
@pytest.mark.parametrize("value", ["true", "FALSE", "1", "0", "Yes", "no", ""])
def test_readable_boolean_is_200(api_for, district_commander, url, name, value):
    assert api_for(district_commander).get(url, {name: value}).status_code == 200


def test_shipped_filters_by_the_value(api_for, district_commander):
    from lianfang.zones.models import RuleSet

    api = api_for(district_commander)
    shipped = api.get("/api/v1/rule-sets/", {"shipped": "yes"}).json()["count"]
    not_shipped = api.get("/api/v1/rule-sets/", {"shipped": "No"}).json()["count"]
    assert shipped == RuleSet.objects.filter(is_builtin=True).count() > 0
    assert not_shipped == api.get("/api/v1/rule-sets/").json()["count"] - shipped


def test_yes_no_field_reads_the_accepted_values():
    field = YesNoField(required=False)
    for text in ("true", "1", "YES", " on "):
        assert field.clean(text) is True
    for text in ("false", "0", "No", "OFF"):
        assert field.clean(text) is False
    for text in ("", None, "unknown"):
        assert field.clean(text) is None
    with translation.override("en"), pytest.raises(Exception, match="“abc” is not yes or no"):
        field.clean("abc")
