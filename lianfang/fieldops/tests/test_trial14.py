"""Findings of new-user trial 14 in field operations."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LONG = "张" * 60_000


def test_gate_long_search_is_400_naming_q_and_the_limit(areas, gates, guard, client_for):
    client = client_for(guard.user)
    client.raise_request_exception = False
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    response = client.get(url, {"q": LONG}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Search text (<code>q</code>)" in text
    assert "has 60000 characters; a search text may have at most 100 characters." in text
    assert client.get(url, {"q": "张三"}).status_code == 200


# ---- 1. a bad temperature on the monitoring page re-shows the page with the error in its row


@pytest.fixture
def monitoring(population, community_staff):
    import datetime as dt

    from lianfang.fieldops.services.monitoring import home_monitoring_start
    from lianfang.fieldops.tests.conftest import today

    return home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )


def _text(response) -> str:
    return response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”").replace("&#x27;", "'")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Temperature (°C): “abc” is not a temperature in °C (34.0–43.0)"),
        ("36.5 F", "Temperature (°C): “36.5 F” is not a temperature in °C (34.0–43.0)"),
        ("45", "Temperature (°C): 45.0 °C is not a plausible body temperature (34.0–43.0 °C)"),
    ],
)
def test_a_bad_temperature_reshows_the_page_with_the_error_in_its_row(monitoring, guard, client_for, typed, message):
    from lianfang.fieldops.models import HealthCheckIn

    client = client_for(guard.user)
    url = reverse("fieldops:monitoring_check_in", args=[monitoring.pk])
    response = client.post(url, {"temperature": typed, "symptoms": ["cough"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.templates[0].name == "fieldops/monitoring.html"
    row = next(m for m in response.context["rows"] if m.pk == monitoring.pk)
    assert row.check_in_form.errors["temperature"]
    text = _text(response)
    assert message in text
    assert f'value="{typed}"' in text  # what was typed is shown again, with the symptom ticked
    assert 'value="cough" checked' in text.replace('id="id_m', 'x="') or "checked" in text
    assert "parameter" not in text.lower()  # not the generic 400 page of query parameters
    assert not HealthCheckIn.objects.exists()


def test_a_bad_temperature_keeps_the_page_place_and_day(monitoring, guard, client_for, population):
    client = client_for(guard.user)
    code = population["compound_a"].code
    url = reverse("fieldops:monitoring_check_in", args=[monitoring.pk]) + f"?within={code}"
    response = client.post(url, {"temperature": "x", "next": f"/fieldops/monitoring/?within={code}"})
    assert response.status_code == 400
    assert response.context["code"] == code
    assert f'name="next" value="/fieldops/monitoring/?within={code}"' in response.content.decode()


@pytest.mark.parametrize("typed", ["36.5°C", "36.5℃", "３６．５℃", "36,5", "36.5 °c", "36.5度", " 36.5 "])
def test_temperatures_as_people_type_them_are_read(monitoring, guard, client_for, typed):
    from lianfang.fieldops.models import HealthCheckIn

    response = client_for(guard.user).post(
        reverse("fieldops:monitoring_check_in", args=[monitoring.pk]), {"temperature": typed}
    )
    assert response.status_code == 302
    assert str(HealthCheckIn.objects.get().temperature) == "36.5"


@pytest.mark.parametrize("typed", ["36.5℃", "３６．５℃", "36,5", "36.5°C"])
def test_the_api_reads_temperatures_with_their_unit(monitoring, guard, api_for, typed):
    response = api_for(guard.user).post(
        "/api/v1/fieldops/check-ins/", {"monitoring": monitoring.pk, "temperature": typed}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["temperature"] == "36.5"


@pytest.mark.parametrize("typed", ["36.5F", "36_5", "1e2", "36.5°C°C", "三十六"])
def test_the_api_refuses_other_text_naming_it_and_the_range(monitoring, guard, api_for, typed):
    response = api_for(guard.user).post(
        "/api/v1/fieldops/check-ins/",
        {"monitoring": monitoring.pk, "temperature": typed},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"temperature": [f"“{typed}” is not a temperature in °C (34.0–43.0)"]}


# ---- 2. the monitoring form picks the household by its address, never asks for an internal number


def test_start_form_lists_the_households_in_scope_by_address(population, community_staff, client_for):
    page = client_for(community_staff).get(reverse("fieldops:monitoring"), HTTP_ACCEPT_LANGUAGE="en")
    form = page.context["start_form"]
    assert list(form.fields) == ["household", "name", "starts_on", "ends_on", "reason"]
    choices = [(str(value), label) for value, label in form.fields["household"].choices]
    assert choices == [
        ("", "Pick the household"),
        (str(population["h1"].pk), population["h1"].address),
        (str(population["h2"].pk), population["h2"].address),
    ]  # h3 is another community's
    text = page.content.decode()
    assert "Household number" not in text and "Resident number" not in text


def test_starting_monitoring_links_the_resident_named(population, community_staff, client_for):
    from lianfang.fieldops.models import HomeMonitoring
    from lianfang.fieldops.tests.conftest import today

    day = today().isoformat()
    body = {"household": population["h1"].pk, "name": " 张小明 ", "starts_on": day, "ends_on": day}
    client_for(community_staff).post(reverse("fieldops:monitoring_start"), body)
    body = {"household": population["h1"].pk, "name": "探亲的表哥", "starts_on": day, "ends_on": day}
    client_for(community_staff).post(reverse("fieldops:monitoring_start"), body)
    rows = [(m.household, m.resident, m.name) for m in HomeMonitoring.objects.order_by("id")]
    assert rows == [
        (population["h1"], population["张小明"], "张小明"),
        (population["h1"], None, "探亲的表哥"),
    ]


def test_a_household_out_of_scope_is_refused_naming_it(population, community_staff, client_for):
    from lianfang.fieldops.models import HomeMonitoring
    from lianfang.fieldops.tests.conftest import today

    day = today().isoformat()
    h3 = population["h3"].pk
    body = {"household": h3, "name": "王五", "starts_on": day, "ends_on": day}
    response = client_for(community_staff).post(
        reverse("fieldops:monitoring_start"), body, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"Household: “{h3}” is not one of the choices you may pick"
    ]
    assert not HomeMonitoring.objects.exists()


# ---- 3. control and invisible format characters in a screened person's texts are refused

BAD_CHARACTERS = [("\x07", "U+0007"), ("\u202e", "U+202E"), ("\u200b", "U+200B")]


@pytest.mark.parametrize(("character", "code"), BAD_CHARACTERS)
@pytest.mark.parametrize("field", ["name", "address", "origin", "risk_area"])
def test_the_person_form_refuses_control_characters(population, community_staff, client_for, field, character, code):
    from lianfang.fieldops.models import ScreenedPerson

    body = {"category": "inflow", "name": "张明", "division": population["compound_a"].code, "address": "3号楼"}
    body[field] = f"张{character}明"
    response = client_for(community_staff).post(reverse("fieldops:person_new"), body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [f"must not contain control characters ({code})."]}
    assert not ScreenedPerson.objects.exists()


@pytest.mark.parametrize(("character", "code"), BAD_CHARACTERS)
def test_the_api_refuses_control_characters(population, community_staff, api_for, character, code):
    from lianfang.fieldops.models import ScreenedPerson

    body = {
        "category": "inflow",
        "name": f"李{character}四",
        "address": f"3号楼{character}",
        "origin": "上海市",
        "division": population["compound_a"].code,
    }
    response = api_for(community_staff).post("/api/v1/fieldops/people/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    message = f"must not contain control characters ({code})."
    assert response.json() == {"name": [message], "address": [message]}
    assert not ScreenedPerson.objects.exists()


def test_the_import_refuses_control_characters_naming_row_and_column(population, district_commander):
    from lianfang.fieldops.importers import ScreeningImportError, screening_import
    from lianfang.fieldops.models import ScreenedPerson

    data = (
        "姓名,身份证号,手机号,类别,现住址,来源地\n"
        "王\u202e五,,,流入,阳光小区,上海市\n"
        "赵六,,,流入,阳光小区\u200b1号楼,上海市\n"
        "钱七,,,流入,阳光小区,上\x07海\n"
    ).encode()
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(actor=district_commander, division=population["h1"].district, file_name="名单.csv", data=data)
    assert [(p[0], p[1], p[3]) for p in exc.value.problems] == [
        (2, "姓名", "must not contain control characters (U+202E)."),
        (3, "现住址", "must not contain control characters (U+200B)."),
        (4, "来源地", "must not contain control characters (U+0007)."),
    ]
    assert not ScreenedPerson.objects.exists()


def test_plain_texts_still_save(population, community_staff, client_for):
    from lianfang.fieldops.models import ScreenedPerson

    body = {
        "category": "inflow",
        "name": "张明",
        "division": population["compound_a"].code,
        "address": "3号楼 2单元",
        "origin": "上海市",
        "risk_area": "浦东新区",
    }
    response = client_for(community_staff).post(reverse("fieldops:person_new"), body)
    assert response.status_code == 302
    assert ScreenedPerson.objects.get().address == "3号楼 2单元"
