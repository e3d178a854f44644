"""Second new-user trial: an id or code of something the user cannot read is answered exactly like an
unknown one (a field error naming the value), never with a message naming its place."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db
ROUNDS = "api:screening-round-list"


@pytest.fixture
def hidden_area(population, district_commander, qilihe):
    """A sealed area over 园林小区 (上西园): invisible to 下西园's community staff."""
    from lianfang.zones.services import control_area_approve, control_area_declare, operation_open

    operation = operation_open(actor=district_commander, district=qilihe, name="处置", started_on=dt.date(2022, 3, 27))
    sealed = operation.rule_set.tiers.get(key="sealed")
    area = control_area_declare(
        actor=district_commander, operation=operation, tier=sealed, nodes=[population["compound_b"]]
    )
    control_area_approve(actor=district_commander, area=area)
    return area


def test_round_page_answers_an_invisible_control_area_like_an_unknown_one(client_for, community_staff, hidden_area):
    from lianfang.screening.models import TestingRound

    client = client_for(community_staff)
    assert client.get(reverse("api:control-area-detail", args=[hidden_area.pk])).status_code == 404
    deadline = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # within the 7-day limit
    body = {"name": "t", "codes": "620103001001", "deadline": deadline}
    for area_id in (hidden_area.pk, 999999):
        page = client.post(
            reverse("screening:round_new"), {**body, "control_area": area_id}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        assert page.status_code == 200
        assert page.context["form"].errors == {"control_area": [f"{area_id} 不存在或不在您的范围内"]}
        assert "园林小区" not in page.content.decode()
    assert not TestingRound.objects.exists()


def test_round_api_answers_an_invisible_control_area_like_an_unknown_one(api_for, community_staff, hidden_area):
    api = api_for(community_staff)
    for n, area_id in enumerate((hidden_area.pk, 999999)):
        response = api.post(
            reverse(ROUNDS),
            {"name": "t", "codes": [], "control_area": area_id},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"round-area-{n:04}",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        assert response.status_code == 400
        assert response.json() == {"control_area": [f"{area_id} 不存在或不在您的范围内"]}


@pytest.mark.parametrize("param", ["code", "within"])
def test_round_coverage_page_code_out_of_scope_or_malformed_is_a_400_naming_it(client_for, community_staff, rnd, param):
    client = client_for(community_staff)
    url = reverse("screening:coverage", args=[rnd.pk])
    for code in ("620103001002", "620103001999", "abc"):  # 上西园 (in the round, not theirs), unknown, malformed
        bad = client.get(url, {param: code}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert bad.status_code == 400 and f"（<code>{param}</code>）：“{code}”不是" in bad.content.decode()
    own = client.get(url, {param: "620103001001"})
    assert own.status_code == 200 and own.context["within"] == "620103001001"
    street = client.get(url)  # no code: the whole round as they see it
    assert street.status_code == 200 and street.context["within"] == ""


@pytest.mark.parametrize("name", ["r.xlsx", "r.xls", "r.ods"])
def test_a_corrupt_result_file_is_named_in_chinese_without_the_library_words(client_for, district_commander, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(district_commander)
    upload = SimpleUploadedFile(name, b"PK\x03\x04 not a workbook", content_type="application/octet-stream")
    response = client.post(reverse("screening:results"), {"file": upload, "lab": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert [str(m) for m in response.wsgi_request._messages] == [f"{name} 不是可读取的 CSV、XLSX、XLS 或 ODS 文件"]


def test_follow_up_steps_in_the_api_are_in_local_time(api_for, district_commander, desk, population):
    from lianfang.screening.services.results import ResultLine, results_record
    from lianfang.screening.tests.conftest import close, submit

    for number in ("11010519491231002X", "440524188001010014"):
        assert submit(district_commander, desk, "scan", number, tube="tube-a")[0] == 201
    assert close(district_commander, desk, "tube-a", "QL0001")[0] == 200
    line = ResultLine(line=1, barcode="QL0001", value="阳性", lab="兰州检测中心", reported="")  # now
    results_record(actor=district_commander, lines=[line], path="620103")
    body = api_for(district_commander).get(reverse("api:screening-follow-up-list")).json()
    follow_up = body["results"][0]
    assert follow_up["opened_at"].endswith("+08:00")
    assert follow_up["steps"] and all(step["due_at"].endswith("+08:00") for step in follow_up["steps"])


@pytest.mark.parametrize("code", ["620103001002", "620103001999"])
def test_round_page_site_out_of_scope_or_unknown_names_the_code(
    client_for, community_staff, district_commander, population, code
):
    from django.contrib.messages import get_messages

    from lianfang.divisions.models import Division
    from lianfang.screening.models import SamplingSite
    from lianfang.screening.services.rounds import round_open

    own = Division.objects.get(code="620103001001")  # 下西园: the staff's community, where they run rounds
    rnd = round_open(actor=district_commander, name="下西园第1轮", nodes=[own])
    form = {"action": "site", "name": "点", "code": code, "planned_people": "10"}
    response = client_for(community_staff).post(
        reverse("screening:round", args=[rnd.pk]), form, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"位置（区划代码）：未知或超出权限范围：{code}"]
    assert not SamplingSite.objects.exists()
