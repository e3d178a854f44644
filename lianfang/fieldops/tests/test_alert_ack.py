"""Who may acknowledge an alert (services.alerts.alert_acknowledge): the worker it is addressed to or their
supervisor (MANAGE_WORKFORCE there); an alert to the place: anyone doing field work there."""

import pytest
from django.conf import settings
from django.utils import translation

from lianfang.divisions.models import Division
from lianfang.fieldops.models import Alert, AlertKind, AlertStatus
from lianfang.fieldops.services.alerts import alert_raise
from lianfang.fieldops.tests.conftest import make_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """Requests with Accept-Language: en leave English active in this thread; restore it after."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def other_worker(population):
    return make_worker("王另一", ["volunteer"], population["compound_a"])


def _alert(compound, key, recipient=None) -> Alert:
    district = Division.objects.get(code=compound.code[:6])
    alert, _ = alert_raise(
        kind=AlertKind.UNCOVERED_DUTY,
        path=compound.code,
        district_id=district.pk,
        dedupe_key=key,
        message="门岗无人",
        recipient=recipient,
    )
    return alert


def test_volunteer_cannot_acknowledge_someone_elses_alert(population, guard, other_worker, api_for, client_for):
    alert = _alert(population["compound_a"], "k-other", recipient=other_worker)
    url = f"/api/v1/fieldops/alerts/{alert.pk}/acknowledge/"
    response = api_for(guard.user).post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403, response.content
    assert "王另一" in response.json()["detail"] and "only they or their supervisor" in response.json()["detail"]
    page = client_for(guard.user).post(f"/fieldops/alerts/{alert.pk}/ack/")
    assert page.status_code == 403
    listing = client_for(guard.user).get("/fieldops/alerts/")
    assert f"/fieldops/alerts/{alert.pk}/ack/" not in listing.content.decode()  # no button that answers 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.acknowledged_by is None


def test_recipient_supervisor_and_place_alerts(population, guard, other_worker, community_staff, api_for):
    mine = _alert(population["compound_a"], "k-mine", recipient=guard)
    assert api_for(guard.user).post(f"/api/v1/fieldops/alerts/{mine.pk}/acknowledge/").status_code == 200
    theirs = _alert(population["compound_a"], "k-theirs", recipient=other_worker)
    response = api_for(community_staff).post(f"/api/v1/fieldops/alerts/{theirs.pk}/acknowledge/")
    assert response.status_code == 200 and response.json()["status"] == AlertStatus.ACKNOWLEDGED
    place = _alert(population["compound_a"], "k-place")
    assert api_for(guard.user).post(f"/api/v1/fieldops/alerts/{place.pk}/acknowledge/").status_code == 200


def test_a_second_acknowledgement_names_the_status_in_words(population, guard, api_for):
    """New-user trial 13: “提醒 #1 已不再是 open” — the status code, not its label."""
    alert = _alert(population["compound_a"], "k-twice", recipient=guard)
    url = f"/api/v1/fieldops/alerts/{alert.pk}/acknowledge/"
    assert api_for(guard.user).post(url).status_code == 200
    again = api_for(guard.user).post(url)
    label = AlertStatus.OPEN.label
    with translation.override("zh-hans"):
        expected = f"{Alert._meta.verbose_name} #{alert.pk}已不再处于“{label}”状态"
    assert again.status_code == 409 and expected in again.json()["detail"]
    english = api_for(guard.user).post(url, HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        expected = f"{Alert._meta.verbose_name} #{alert.pk} is no longer “{label}”"
    assert english.status_code == 409 and expected in english.json()["detail"]
    assert "open" not in str(english.json()).replace("no longer", "")
