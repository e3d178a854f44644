"""Page flows with the test client: the gate register, rosters, people, import, monitoring, notices."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.fieldops import adapters
from lianfang.fieldops.models import DutyShift, HealthCheckIn, Notice, PassageRecord, ScreenedPerson
from lianfang.fieldops.services.gates import duty_roster_generate, duty_shift_assign
from lianfang.fieldops.services.monitoring import home_monitoring_start
from lianfang.fieldops.tests.conftest import today

pytestmark = pytest.mark.django_db


def test_gate_page_finds_registers_and_decides(areas, gates, guard, population, client_for):
    client = client_for(guard.user)
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    page = client.get(url, {"q": "11010519491231002X"})
    assert [r.name for r in page.context["found"]] == ["张三"] and page.context["tier_key"] == "sealed"
    assert client.get(url, {"q": "zs"}).context["found"][0].name == "张三"  # pinyin initials
    key = page.context["form"].initial["idempotency_key"]
    body = {"resident": population["张三"].pk, "direction": "out", "purpose": "shopping", "idempotency_key": key}
    response = client.post(url, body)
    decision = response.context["decision"]
    assert (decision.decision, decision.reason_code, decision.resident) == (
        "refused",
        "purpose_not_allowed",
        population["张三"],
    )
    assert 'data-decision="refused"' in response.content.decode()
    client.post(url, body)  # a double tap: the same form again
    assert PassageRecord.objects.count() == 1
    visitor = client.post(
        url, {"direction": "in", "purpose": "delivery", "visitor_name": "快递员", "idempotency_key": "v1"}
    )
    assert visitor.context["decision"].decision == "allowed"


def test_gate_page_finds_a_household_by_its_qr_code(areas, gates, guard, population, client_for, community_staff):
    if not adapters.available()["household_for_token"]:
        pytest.skip("the assistance app provides household QR tokens")
    from lianfang.assistance.services.tokens import household_token_issue
    from lianfang.registry.services import mask_query

    _row, token = household_token_issue(actor=community_staff, household=population["h1"])
    page = client_for(guard.user).get(
        reverse("fieldops:gate", args=[gates["north"].pk]), {"q": f"https://x/h/{token}/"}
    )
    assert {r.name for r in page.context["found"]} == {"张三", "张小明"}
    # the look-up is audited once, naming the household: the token (a credential) stays out of the log
    (entry,) = AuditEntry.objects.filter(action="registry.search")
    assert entry.detail == {
        # masked as every search (registry.services.mask_query): an id of 5 digits or more is masked too
        "query": {"q": mask_query(f"household QR {population['h1'].pk}")},
        "results": 2,
        "where": "page:fieldops.gate",
    }
    assert token not in json.dumps(entry.detail)


def test_roster_page_generates_and_assigns(areas, gates, community_staff, guard, client_for):
    client = client_for(community_staff)
    day = today()
    data = {"within": gates["north"].path, "day": day.isoformat()}
    done = client.post(reverse("fieldops:roster_generate"), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert [str(m) for m in done.context["messages"]] == [f"3 shift slots created for 1 gate on {day}"]  # "1 gates"
    assert DutyShift.objects.filter(gate=gates["north"]).count() == 3
    DutyShift.objects.filter(gate=gates["north"]).delete()
    done = client.post(reverse("fieldops:roster_generate"), data, follow=True)
    assert [str(m) for m in done.context["messages"]] == [f"已为 1 个出入口生成 {day} 的 3 个岗位班次"]
    page = client.get(reverse("fieldops:roster"), {"within": gates["north"].path})
    assert page.context["coverage"][0].uncovered_hours == 24.0
    shift = DutyShift.objects.filter(gate=gates["north"]).order_by("starts_at").first()
    client.post(reverse("fieldops:shift_assign", args=[shift.pk]), {"worker": guard.pk})
    page = client.get(reverse("fieldops:roster"), {"within": gates["north"].path})
    assert page.context["coverage"][0].uncovered_hours == 16.0
    assert "刘守门" in page.content.decode()


def test_my_duty_check_in_with_htmx(areas, gates, community_staff, guard, client_for):
    from django.utils import timezone

    duty_roster_generate(actor=community_staff, code=gates["north"].path, day=today())
    now = timezone.now()
    shift = DutyShift.objects.get(gate=gates["north"], starts_at__lte=now, ends_at__gt=now)
    duty_shift_assign(actor=community_staff, shift=shift, worker=guard)
    client = client_for(guard.user)
    assert [s.pk for s in client.get(reverse("fieldops:my_duty")).context["shifts"]] == [shift.pk]
    fragment = client.post(reverse("fieldops:shift_check_in", args=[shift.pk]), HTTP_HX_REQUEST="true")
    assert 'data-status="on_duty"' in fragment.content.decode()
    shift.refresh_from_db()
    assert shift.status == "on_duty"


def test_person_pages(population, community_staff, street_officer, client_for):
    client = client_for(community_staff)
    response = client.post(
        reverse("fieldops:person_new") + "?within=620103001001",
        {
            "category": "inflow",
            "name": "何三",
            "id_number": "620103199003030012",
            "division": "620103001001",
            "origin": "北京市",
        },
    )
    person = ScreenedPerson.objects.get(name="何三")
    assert response.status_code == 302 and response.url == reverse("fieldops:person", args=[person.pk])
    assert client.get(response.url).context["person"] == person
    client.post(
        reverse("fieldops:person_action", args=[person.pk, "status"]),
        {"to_status": "home_monitoring", "reason_code": "other", "evidence": "北京来兰，居家监测3天"},
    )
    person.refresh_from_db()
    assert person.status == "home_monitoring"
    # bulk: request from the list, approve by a second person
    client.post(
        reverse("fieldops:bulk_request"),
        {"people": [person.pk], "to_status": "released", "reason_code": "phase_ended", "evidence": "期满"},
    )
    bulk_page = client_for(street_officer).get(reverse("fieldops:bulk_changes"))
    change = bulk_page.context["page"][0]
    client_for(street_officer).post(reverse("fieldops:bulk_decide", args=[change.pk, "approve"]), {"note": "同意"})
    person.refresh_from_db()
    assert person.status == "released"


def test_import_page_reports(population, district_commander, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (
        "姓名,身份证号,现住址,所在区县\n陈一,620103199001010018,城关区张掖路,城关区\n何三,620103199003030012,兰州市,\n"
    ).encode()
    response = client_for(district_commander).post(
        reverse("fieldops:people_import") + "?within=620103",
        {"file": SimpleUploadedFile("名单.csv", data), "category": "inflow"},
    )
    counts = response.context["report"].batch.counts
    assert (counts["created"], counts["transferred_out"], counts["needs_verification"]) == (1, 1, 1)
    bad = client_for(district_commander).post(
        reverse("fieldops:people_import") + "?within=620103",
        {
            "file": SimpleUploadedFile("坏.csv", "姓名,身份证号\n错号,620103199003030011\n".encode()),
            "category": "inflow",
        },
    )
    assert bad.context["problems"][0][:3] == (2, "证件号码", "6201**********0011")
    assert "620103199003030011" not in bad.content.decode()


def test_monitoring_page_records_a_check_in(population, community_staff, guard, client_for):
    monitoring = home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today() + dt.timedelta(days=2),
    )
    client = client_for(guard.user)
    page = client.get(reverse("fieldops:monitoring"))
    assert page.context["missing"] == 1
    client.post(reverse("fieldops:monitoring_check_in", args=[monitoring.pk]), {"temperature": "36.8"})
    assert str(HealthCheckIn.objects.get().temperature) == "36.8"
    assert client.get(reverse("fieldops:monitoring")).context["missing"] == 0


def test_resident_checks_in_through_the_household_qr(population, community_staff, client):
    if not adapters.available()["household_for_token"]:
        pytest.skip("the assistance app provides household QR tokens")
    from lianfang.assistance.services.tokens import household_token_issue

    home_monitoring_start(
        actor=community_staff,
        household=population["h1"],
        resident=population["张三"],
        starts_on=today(),
        ends_on=today(),
    )
    _row, token = household_token_issue(actor=community_staff, household=population["h1"])
    url = reverse("fieldops:resident_check_in", args=[token])
    rows = client.get(url).context["rows"]
    assert [m.name for m in rows] == ["张三"]
    client.post(url, {"monitoring": rows[0].pk, "temperature": "36.4"})
    check_in = HealthCheckIn.objects.get()
    assert (check_in.source, check_in.recorded_by) == ("resident", None)
    assert client.get(url).context["rows"][0].checked_in == check_in


def test_notice_pages(population, community_staff, client_for, client):
    staff = client_for(community_staff)
    response = staff.post(
        reverse("fieldops:notices"),
        {"division": population["compound_a"].code, "title": "核酸检测", "body": "今晚20:00全员核酸，请按楼栋下楼。"},
    )
    notice = Notice.objects.get()
    assert response.url == reverse("fieldops:notice", args=[notice.pk])
    refused = staff.post(
        reverse("fieldops:notices"), {"division": population["compound_a"].code, "title": "x", "body": "请李四下楼"}
    )
    assert refused.status_code == 200 and Notice.objects.count() == 1
    assert staff.get(reverse("fieldops:notice_poster", args=[notice.pk])).status_code == 404  # a draft has no poster
    staff.post(reverse("fieldops:notice_action", args=[notice.pk, "publish"]))
    poster = staff.get(reverse("fieldops:notice_poster", args=[notice.pk])).content.decode()
    assert "<svg" in poster and notice.token in poster and "今晚20:00全员核酸" in poster
    client.logout()
    public = client.get(reverse("fieldops:notice_public", args=[notice.token]))
    assert public.status_code == 200 and "今晚20:00全员核酸" in public.content.decode()


def test_gate_form_errors_name_the_fields_by_their_labels(areas, gates, guard, client_for):
    client = client_for(guard.user)
    url = reverse("fieldops:gate", args=[gates["north"].pk])
    response = client.post(url, {"idempotency_key": "k1"}, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("方向：") for m in shown) and any(m.startswith("事由：") for m in shown), shown
    assert not any(m.startswith(("direction:", "purpose:")) for m in shown)
