"""New-user trial: a whole number too large for the database in an API body (``{"position":
99999999999999999999}``) answered "a number in the query is too large" on SQLite and a 500 on
PostgreSQL, naming no field; now a 400 names the field and the value (core.api.number_out_of_range)."""

from __future__ import annotations

import pytest
from django.db import DataError, connection
from django.http import QueryDict

from lianfang.core.api import number_out_of_range, overflowing_parameters
from lianfang.fieldops.models import Checkpoint

pytestmark = pytest.mark.django_db

COMPOUND = "620103001001001"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_body_number_past_the_database_names_the_field(population, district_commander, api_for, language):
    api = api_for(district_commander)
    body = {"division": COMPOUND, "name": "东门", "position": 99999999999999999999}
    answer = api.post(
        "/api/v1/fieldops/checkpoints/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="cp-overflow-1",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert answer.status_code == 400, answer.content
    errors = answer.json()
    assert list(errors) == ["position"]
    message = errors["position"][0]
    largest = "32767" if connection.vendor == "postgresql" else "9223372036854775807"
    assert largest in message
    assert ("最大" in message) if language == "zh-hans" else ("largest" in message)
    assert not Checkpoint.objects.exists()  # nothing half-written


def test_overflowing_parameters_reads_the_body_fields():
    query = QueryDict("page=2")
    body = {"position": 99999999999999999999, "count": -99999999999999999999, "ok": 5, "flag": True, "name": "12"}
    errors = overflowing_parameters(query, {}, body=body)
    assert sorted(errors) == ["count", "position"]
    assert overflowing_parameters(query, {}, body={"level": 40000, "code": "620103001001"}, largest=32767).keys() == {
        "level"
    }
    assert overflowing_parameters(query, {}, body=["not", "a", "dict"]) == {}


def test_a_data_error_other_than_an_integer_range_is_left_alone():
    class Request:
        query_params = QueryDict("")
        data = {"position": 99999999999999999999}

    assert number_out_of_range(DataError("value too long for type character varying(20)"), Request(), {}) is None
    assert number_out_of_range(ValueError("x"), Request(), {}) is None
    assert "position" in number_out_of_range(OverflowError("int too big"), Request(), {}).detail
