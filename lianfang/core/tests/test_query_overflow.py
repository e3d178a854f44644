"""core.api.BadQueryMixin: an OverflowError answers 400 naming the parameter (and its value) that holds
a number past a 64-bit integer (core.api.overflowing_parameters); an overflow no parameter explains
keeps the message without a name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import path
from django.utils import translation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from lianfang.core.api import BadQueryMixin
from lianfang.divisions.models import Division

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # past 2**63 − 1
ZH_HUGE = "“9999************9999” 大于允许的最大值 9223372036854775807。"
EN_HUGE = "“9999************9999” is more than 9223372036854775807, the largest value allowed."


class OverflowApi(BadQueryMixin, APIView):
    """``?ids=1,2``: divisions by id (the database driver's own overflow on SQLite); ``?n=`` or the URL
    part: the number as a signed 64-bit integer (int.to_bytes, as a driver packs it); ``?days=``: today
    plus that many days (datetime's overflow on a number well inside 64 bits)."""

    permission_classes = [AllowAny]

    def get(self, request, number: str | None = None):
        if "ids" in request.query_params:
            ids = [int(i) for i in request.query_params["ids"].split(",")]
            return Response(sorted(Division.objects.filter(pk__in=ids).values_list("code", flat=True)))
        if "days" in request.query_params:
            return Response((dt.date(2026, 11, 30) + dt.timedelta(days=int(request.query_params["days"]))).isoformat())
        value = int(number if number is not None else request.query_params["n"])
        return Response(value.to_bytes(8, "big", signed=True).hex())


urlpatterns = [
    path("api/v1/overflow/", OverflowApi.as_view()),
    path("api/v1/overflow/<str:number>/", OverflowApi.as_view()),
]


@pytest.fixture(autouse=True)
def _thread_language_kept():
    """A request activates its language in the test's thread (LocaleMiddleware) and leaves it there;
    put back the one found, so a later module's fixtures (demo's world) do not run in English."""
    with translation.override(translation.get_language()):
        yield


def _get(url, language="en", **params):
    return APIClient().get(url, params, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("language", "message"), [("zh-hans", ZH_HUGE), ("en", EN_HUGE)])
def test_a_number_past_64_bits_is_named_with_its_parameter(language, message):
    response = _get("/api/v1/overflow/", language, n=HUGE)
    assert (response.status_code, response.json()) == (400, {"n": [message]})
    response = _get(f"/api/v1/overflow/{HUGE}/", language)
    assert (response.status_code, response.json()) == (400, {"number": [message]})
    assert _get("/api/v1/overflow/", language, n="9223372036854775807").json() == "7fffffffffffffff"


@pytest.mark.urls(__name__)
def test_a_negative_number_past_64_bits_is_named_too():
    response = _get("/api/v1/overflow/", n="-" + HUGE)
    assert response.status_code == 400
    assert response.json() == {
        "n": ["“-9999************9999” is less than -9223372036854775808, the smallest value allowed."]
    }


@pytest.mark.urls(__name__)
def test_the_database_drivers_overflow_in_a_list_names_the_parameter(qilihe):
    """SQLite's driver cannot bind an int past 64 bits (OverflowError); psycopg sends it as a numeric
    that PostgreSQL compares with the bigint id, matching nothing."""
    qilihe_id = str(qilihe.pk)
    assert _get("/api/v1/overflow/", ids=qilihe_id).json() == ["620103"]
    response = _get("/api/v1/overflow/", ids=f"{qilihe_id},{HUGE}")
    if connection.vendor == "sqlite":
        assert (response.status_code, response.json()) == (400, {"ids": [EN_HUGE]})
    else:
        assert (response.status_code, response.json()) == (200, ["620103"])


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("language", "message"), [("zh-hans", "查询中的数字过大"), ("en", "a number in the query is too large")]
)
def test_an_overflow_no_parameter_explains_keeps_the_unnamed_message(language, message):
    """1,000,000,000 days is a 64-bit number; the date it leads to is not: nothing to name."""
    response = _get("/api/v1/overflow/", language, days="1000000000")
    assert (response.status_code, response.json()) == (400, {"detail": message})
