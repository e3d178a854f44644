"""New-user trial 15 findings: numbers too large for the database's integer are a form or API error
naming the field and its range (never a 500), held lab results say why, round names and deadlines are
checked."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from lianfang.screening.models import SamplingDesk, SamplingSite
from lianfang.screening.tests.conftest import key

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


def _last_message(response) -> str:
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_huge_desk_capacity_and_planned_people_are_form_errors(client_for, district_commander, rnd, site):
    client = client_for(district_commander)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("screening:round", args=[rnd.pk])
    desk = {"action": "desk", "site": site.pk, "name": "T台3", "capacity_per_hour": HUGE}
    response = client.post(url, desk)
    assert response.status_code == 302
    message = _last_message(response)
    assert "People per hour" in message and "2000" in message
    assert not SamplingDesk.objects.filter(name="T台3").exists()
    client.post(url, {**desk, "capacity_per_hour": "2000"})
    assert SamplingDesk.objects.get(name="T台3").capacity_per_hour == 2000
    response = client.post(url, {**desk, "site": HUGE, "capacity_per_hour": "60"})
    message = _last_message(response)
    assert message.startswith("Sampling site: ") and "is more than 9223372036854775807" in message
    place = {"action": "site", "name": "T点", "code": "620103001001001", "planned_people": HUGE}
    response = client.post(url, place)
    assert response.status_code == 302
    message = _last_message(response)
    assert "Planned people" in message and "1000000" in message
    assert not SamplingSite.objects.filter(name="T点").exists()
    page = client.get(url).content.decode()
    assert "1 to 2,000" in page and "0 to 1,000,000" in page


def test_huge_control_area_is_a_form_error(client_for, district_commander, rnd):
    client = client_for(district_commander)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("screening:round_new"), {"name": "第3轮", "control_area": HUGE})
    assert response.status_code == 200
    assert response.context["form"].errors["control_area"] == [f"“{HUGE}” is not an id (too large)"]


def test_api_bounds_capacity_and_planned_people(api_for, district_commander, rnd, site, population):
    api = api_for(district_commander)
    desk = {"site": site.pk, "name": "T台4", "capacity_per_hour": 2147483648}
    response = api.post(reverse("api:screening-desk-list"), desk, format="json", HTTP_IDEMPOTENCY_KEY=key())
    assert response.status_code == 400
    assert list(response.json()) == ["capacity_per_hour"] and "2000" in response.json()["capacity_per_hour"][0]
    body = {"round": rnd.pk, "name": "T点2", "division": population["compound_a"].code, "planned_people": int(HUGE)}
    response = api.post(reverse("api:screening-site-list"), body, format="json", HTTP_IDEMPOTENCY_KEY=key())
    assert response.status_code == 400
    assert list(response.json()) == ["planned_people"] and "1000000" in response.json()["planned_people"][0]


def test_services_bound_capacity_and_planned_people(district_commander, rnd, site, population):
    from django.core.exceptions import ValidationError

    from lianfang.screening.services.rounds import desk_create, site_create

    with pytest.raises(ValidationError) as exc:
        desk_create(actor=district_commander, site=site, name="x", capacity_per_hour=2001)
    assert exc.value.message_dict == {"capacity_per_hour": ["must be from 1 to 2000, got 2001"]}
    with pytest.raises(ValidationError) as exc:
        site_create(
            actor=district_commander, round=rnd, name="y", division=population["compound_a"], planned_people=10**7
        )
    assert exc.value.message_dict == {"planned_people": ["must be from 0 to 1000000, got 10000000"]}


def test_a_result_line_without_lab_is_held_as_no_lab(api_for, district_commander, desk):
    from lianfang.screening.models import ResultException
    from lianfang.screening.tests.test_results import H1_IDS, fill

    fill(district_commander, desk, H1_IDS[:1], "tube-a", "QLH0216787")
    body = {"lines": [{"barcode": "QLH0216787", "result": "negative"}]}
    response = api_for(district_commander).post(
        reverse("api:screening-result-list"), body, format="json", HTTP_IDEMPOTENCY_KEY=key()
    )
    assert response.status_code == 201
    held = ResultException.objects.get()
    with translation.override("en"):  # the API request left its own language active
        assert (held.reason, held.get_reason_display()) == ("no_lab", "No lab named")
    with translation.override("zh-hans"):
        assert held.get_reason_display() == "未注明检测机构"


def test_a_result_for_a_tube_open_at_the_desk_says_so_in_scope_only(district_commander, desk):
    from lianfang.screening.services.results import results_record
    from lianfang.screening.tests.conftest import submit
    from lianfang.screening.tests.test_results import H1_IDS, line

    assert submit(district_commander, desk, "scan", H1_IDS[0], tube="QLH9990001")[0] == 201
    batch = results_record(actor=district_commander, lines=[line("qlh9990001", "negative")], path="620103")
    held = batch.exceptions.get()
    assert (held.reason, held.get_reason_display()) == ("tube_open", "Tube not closed at the desk")
    assert held.tube.client_key == "QLH9990001"
    # an importer whose division does not hold the tube learns nothing about it
    other = results_record(actor=district_commander, lines=[line("QLH9990001", "negative")], path="620103001002")
    assert other.exceptions.get().reason == "unknown_tube" and other.exceptions.get().tube is None


def test_round_name_of_a_format_character_and_a_far_deadline_are_refused(client_for, district_commander, population):
    from lianfang.screening.models import TestingRound

    client = client_for(district_commander)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("screening:round_new")
    page = client.post(url, {"name": "\u200b", "codes": "620103001001"})
    assert page.status_code == 200
    assert page.context["form"].errors == {"name": ["must not contain control characters (U+200B)."]}
    page = client.post(url, {"name": "第9轮", "codes": "620103001001", "deadline": "2099-12-03T10:00"})
    assert page.context["form"].errors == {
        "deadline": ["deadline 2099-12-03 10:00 is more than 7 days after the round opens"]
    }
    assert not TestingRound.objects.exists()


def test_index_shows_the_year_of_a_deadline_in_another_year(client_for, district_commander, rnd):
    import datetime as dt

    from django.utils import timezone

    from lianfang.screening.models import TestingRound

    client = client_for(district_commander)
    this_year = timezone.localtime(rnd.deadline)
    assert this_year.strftime("%m-%d %H:%M") in client.get(reverse("screening:index")).content.decode()
    next_year = rnd.opened_at + dt.timedelta(days=400)
    TestingRound.objects.filter(pk=rnd.pk).update(deadline=next_year)
    shown = timezone.localtime(next_year).strftime("%Y-%m-%d %H:%M")
    assert shown in client.get(reverse("screening:index")).content.decode()
