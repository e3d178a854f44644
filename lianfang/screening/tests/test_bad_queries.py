"""Bad values in the screening pages' and API's queries (and the pages' action buttons) are a 400
naming the parameter and the value, in the reader's language: never a 404, a 500 or ignored."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lianfang.assistance.tests.test_bad_queries import bad_query
from lianfang.screening.models import Sample
from lianfang.screening.tests.conftest import submit
from lianfang.screening.tests.test_scope import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
NOT_A_CODE = "“abc”不是区划代码（应为1至20位数字）"


def test_missed_people_code_that_is_not_a_code_is_a_400_naming_it(client_for, district_commander, rnd):
    client = client_for(district_commander)
    assert bad_query(client.get(reverse("screening:missed"), {"code": "abc"}, **ZH)) == [
        f"区划代码（code）：{NOT_A_CODE}"
    ]
    assert client.get(reverse("screening:missed"), {"code": "620103001"}, **ZH).status_code == 200


def test_missed_people_code_the_user_cannot_see_is_a_400_naming_it(client_for, community_staff, rnd):
    """Unknown, or another community's: the 400 every list answers (core.filters.query_scoped_code)."""
    client = client_for(community_staff)
    for code in ("999999", "620103001002", "620103001001999", "6"):  # unknown inside their area, a prefix too
        for language, line in (
            ("zh-hans", f"区划代码（code）：“{code}”不是您可查看的区划的代码"),
            ("en", f"Division code (code): “{code}” is not the code of a division you may see"),
        ):
            response = client.get(reverse("screening:missed"), {"code": code}, HTTP_ACCEPT_LANGUAGE=language)
            assert bad_query(response) == [line]


def test_unknown_task_status_lists_the_allowed_ones_by_their_chinese_names(client_for, district_commander, rnd):
    response = client_for(district_commander).get(reverse("screening:tasks", args=[rnd.pk]), {"status": "zz"}, **ZH)
    assert bad_query(response) == [
        "状态（status）：“zz”不是任务状态（可选：进行中 open、已完成 done、已取消 cancelled）"
    ]


@pytest.mark.parametrize("value", ["abc", "0", "50.5", "-1", "nan"])
def test_advisor_percent_out_of_range_or_not_a_number_is_a_400_naming_it(client_for, district_commander, value):
    response = client_for(district_commander).get(reverse("screening:advisor"), {"percent": value}, **ZH)
    assert bad_query(response) == [f"阳性率（%）（percent）：“{value}”不是 0.001 到 50 之间的百分比"]


def test_advisor_percent_in_range_is_used(client_for, district_commander):
    response = client_for(district_commander).get(reverse("screening:advisor"), {"percent": "2"}, **ZH)
    assert response.status_code == 200 and response.context["p"] == 0.02


@pytest.mark.parametrize("value", ["abc", "zz", "maybe"])
def test_samples_api_unregistered_refuses_anything_but_yes_or_no(api_for, district_commander, desk, value):
    api = api_for(district_commander)
    response = api.get(reverse("api:screening-sample-list"), {"unregistered": value}, **ZH)
    assert (response.status_code, response.json()) == (
        400,
        {"unregistered": [f"“{value}”不是“是”或“否”（可用 true/false、1/0、yes/no、on/off）"]},
    )


def test_samples_api_unregistered_still_filters(api_for, district_commander, desk):
    assert submit(district_commander, desk, "scan", "11010519491231002X", tube="tube-a")[0] == 201
    assert Sample.objects.filter(unregistered=False).count() == 1
    api = api_for(district_commander)
    url = reverse("api:screening-sample-list")
    assert api.get(url, {"unregistered": "false"}).json()["count"] == 1
    assert api.get(url, {"unregistered": "true"}).json()["count"] == 0
    assert api.get(url, {"unregistered": "1"}).json()["count"] == 0
    assert api.get(url).json()["count"] == 1


def test_rounds_api_codes_name_the_bad_code(api_for, district_commander, rnd):
    response = api_for(district_commander).post(
        reverse("api:screening-round-list"),
        {"name": "第2轮", "codes": ["620103001001", "abc"]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="round-bad-code-1",
        **ZH,
    )
    assert (response.status_code, response.json()) == (400, {"codes": {"1": [NOT_A_CODE]}})


def test_sites_api_division_names_the_bad_code(api_for, district_commander, rnd):
    response = api_for(district_commander).post(
        reverse("api:screening-site-list"),
        {"name": "点", "round": rnd.pk, "division": "abc"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="site-bad-code-1",
        **ZH,
    )
    assert (response.status_code, response.json()) == (400, {"division": [NOT_A_CODE]})


def test_round_page_site_form_error_names_the_field_by_its_label_and_the_value(client_for, district_commander, rnd):
    client = client_for(district_commander)
    form = {"action": "site", "name": "点", "code": "abc", "planned_people": "10"}
    response = client.post(reverse("screening:round", args=[rnd.pk]), form, **ZH)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"位置（区划代码）：{NOT_A_CODE}"]


def test_resolving_a_held_result_that_is_not_an_id_is_a_400_naming_it(client_for, district_commander):
    response = client_for(district_commander).post(reverse("screening:results"), {"resolve": "abc"}, **ZH)
    assert bad_query(response) == ["暂扣的行（resolve）：“abc”不是编号（应为整数）"]


def test_follow_up_step_that_is_not_an_id_is_a_400_naming_it(client_for, district_commander, world):  # noqa: F811
    url = reverse("screening:follow_up", args=[world["follow_up"].pk])
    client = client_for(district_commander)
    assert bad_query(client.post(url, {"step": "abc"}, **ZH)) == ["步骤（step）：“abc”不是编号（应为整数）"]
    assert client.post(url, {"step": "999999"}, **ZH).status_code == 404


def test_sample_submission_without_desk_or_task_is_refused_in_chinese(api_for, district_commander, desk):
    response = api_for(district_commander).post(
        reverse("api:screening-sample-list"),
        {"kind": "scan", "value": "11010519491231002X", "tube": "tube-a"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="no-desk-or-task-1",
        **ZH,
    )
    assert (response.status_code, response.json()) == (400, {"desk": ["请给出采样台或任务（其中一个的编号）。"]})
