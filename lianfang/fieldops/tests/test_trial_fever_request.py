"""New-user trial: a home-monitoring temperature of 38.2 °C filed a ticket whose category read as a
trip for dialysis or chemotherapy, and its text stayed Chinese on English pages. A fever goes to the
fever clinic: the medical-visit category (domain.md §1: groceries, medicine, medical visit, emergency
aid), and the ticket reads in each reader's language."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from lianfang.fieldops.services.monitoring import health_check_in_record, home_monitoring_start
from lianfang.fieldops.tests.conftest import at, today

pytestmark = pytest.mark.django_db
ServiceRequest = pytest.importorskip("lianfang.assistance.models").ServiceRequest


@pytest.fixture(autouse=True)
def _language_restored():
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_a_fever_files_a_medical_visit_that_reads_in_each_language(population, community_staff, client_for):
    monitoring = home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today() - dt.timedelta(days=2),
        ends_on=today() + dt.timedelta(days=4),
        reason="外地返兰",
    )
    check_in = health_check_in_record(
        actor=None, monitoring=monitoring, temperature="38.2", symptoms=["cough"], source="resident", at=at(today(), 8)
    )
    ticket = ServiceRequest.objects.get(household=population["h1"])
    assert check_in.service_request_ref == ticket.reference
    assert ticket.category == "medical_trip"
    with translation.override("en"):
        assert str(ticket.get_category_display()).startswith("Medical visit (fever clinic")
        assert ticket.description_text == "Home monitoring: 38.2 °C, symptoms: Cough"
    with translation.override("zh-hans"):
        assert str(ticket.get_category_display()).startswith("就医（发热门诊")
        assert ticket.description_text == ticket.description
    assert ticket.description.startswith("居家健康监测") and "咳嗽" in ticket.description
    page = client_for(community_staff).get(reverse("assistance:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Home monitoring: 38.2 °C, symptoms: Cough" in html
    assert "居家健康监测" not in html
