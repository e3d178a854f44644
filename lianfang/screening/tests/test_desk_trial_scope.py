"""New-user trial 13 on the sampling desk (demo login ``desk``, scope one compound): what the desk's
answers tell about people outside the operator's scope, and input the desk must refuse as unreadable.

- a person already sampled in this round, out of scope: the fact alone, no name, place, time or tube;
- a child via an out-of-scope guardian: no guardian's name (answered like the scan);
- a child's (or unregistered person's) name with markup or control characters: 400 naming the field;
- values quoted in messages NFKC-normalised before masking (full-width digits read as ASCII);
- a malformed resident number, an empty child's name: 400 naming the field (docs/screening.md:
  unreadable input is 400, not stored), both through the API and the desk page's endpoint.

Community staff of 下西园 work at a desk of 阳光小区 (下西园); 王芳 lives in 上西园 (in the round, out
of their scope); 李四 lives in 下西园 (in scope)."""

import pytest
from django.urls import reverse

from lianfang.screening.models import Sample, SubmissionKey
from lianfang.screening.tests.conftest import key, make_desk, stranger_id, submit

pytestmark = pytest.mark.django_db
URL = "api:screening-sample-list"
WANGFANG = "620103199001010026"  # 王芳, 上西园
LISI = "620103198501150012"  # 李四, 下西园
HIDDEN = {
    "en": "Already sampled in this round (registered outside your area)",
    "zh-hans": "本轮已采样（登记在您的辖区之外）",
}
LANGUAGES = ["en", "zh-hans"]


@pytest.fixture
def far_desk(rnd, population, district_commander):
    """A desk at a site in 园林小区 (上西园), outside the community staff's scope."""
    from lianfang.screening.services.rounds import site_create

    site = site_create(actor=district_commander, round=rnd, name="园林小区封控点", division=population["compound_b"])
    return make_desk(site, district_commander, name="9号台")


def _api(api, desk, language, **body):
    body = {"desk": desk.pk, "tube": "tube-trial", **body}
    return api.post(reverse(URL), body, format="json", HTTP_IDEMPOTENCY_KEY=key(), HTTP_ACCEPT_LANGUAGE=language)


def _page(client, desk, language, **body):
    url = reverse("screening:station_submit", args=["desk", desk.pk])
    payload = {"key": key(), "tube": "tube-page", **body}
    return client.post(url, payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)


def _nothing_of_wangfang(response, far_desk):
    text = response.content.decode()
    for leak in ("王", "芳", "园林", "9号台", "tube-far", "where", "12-", "6201"):  # name, place, tube, time, ID
        assert leak not in text, (leak, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_already_sampled_out_of_scope_says_the_fact_alone(
    language, desk, far_desk, population, community_staff, district_commander, api_for, client_for
):
    assert submit(district_commander, far_desk, "scan", WANGFANG, tube="tube-far")[0] == 201
    k = key()
    response = _api(api_for(community_staff), desk, language, kind="scan", value=WANGFANG)
    assert response.status_code == 409
    assert response.json() == {"status": "refused", "code": "duplicate", "message": HIDDEN[language]}
    _nothing_of_wangfang(response, far_desk)
    # the desk page's endpoint answers alike, and a retry under the same key replays the same words
    page = _page(client_for(community_staff), desk, language, kind="scan", value=WANGFANG, key=k)
    assert (page.status_code, page.json()) == (409, response.json())
    again = _page(client_for(community_staff), desk, language, kind="scan", value=WANGFANG, key=k)
    assert again.json()["message"] == HIDDEN[language] and again.json()["replayed"] is True
    _nothing_of_wangfang(again, far_desk)
    assert Sample.objects.filter(resident=population["王芳"]).count() == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_already_sampled_in_scope_keeps_the_full_answer(
    language, desk, far_desk, population, community_staff, district_commander, api_for
):
    assert submit(district_commander, far_desk, "scan", LISI, tube="tube-far")[0] == 201
    response = _api(api_for(community_staff), desk, language, kind="scan", value=LISI)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate" and body["tube"] == "tube-far" and body["where"] == "园林小区封控点 · 9号台"
    time = Sample.objects.get(resident=population["李四"]).taken_at
    from django.utils import timezone

    hhmm = timezone.localtime(time).strftime("%m-%d %H:%M")
    assert (
        body["message"]
        == {
            "en": f"李* was already sampled in this round at 园林小区封控点 · 9号台 ({hhmm})",
            "zh-hans": f"李*本轮已在园林小区封控点 · 9号台采样（{hhmm}）",
        }[language]
    )
    # the commander sees 王芳: the full answer too
    assert submit(district_commander, far_desk, "scan", WANGFANG, tube="tube-far")[0] == 201
    full = _api(api_for(district_commander), desk, language, kind="scan", value=WANGFANG)
    assert full.status_code == 409 and "王*" in full.json()["message"]


def test_an_unregistered_person_sampled_at_a_desk_out_of_scope_is_not_described(
    desk, far_desk, community_staff, district_commander, api_for
):
    number = stranger_id(611)
    assert submit(district_commander, far_desk, "scan", number, tube="tube-far", name="路人甲")[0] == 201
    response = _api(api_for(community_staff), desk, "en", kind="scan", value=number)
    assert (response.status_code, response.json()["message"]) == (409, HIDDEN["en"])
    assert "路" not in response.content.decode() and "9号台" not in response.content.decode()
    # sampled at the staff's own desk: the full answer
    mine = stranger_id(612)
    assert submit(community_staff, desk, "scan", mine, name="路人乙")[0] == 201
    again = _api(api_for(community_staff), desk, "en", kind="scan", value=mine)
    assert again.status_code == 409 and again.json()["message"].startswith("路*乙 was already sampled")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_child_via_an_out_of_scope_guardian_does_not_show_the_guardian(
    language, desk, population, community_staff, district_commander, api_for, client_for
):
    outside = {"en": "(registered outside your area)", "zh-hans": "（登记在您的辖区之外）"}[language]
    response = _api(api_for(community_staff), desk, language, kind="child", guardian=WANGFANG, name="小红")
    assert response.status_code == 201, response.json()
    person = response.json()["people"][0]
    assert person["name"] == "小*" and person["unregistered"] is True and person["guardian"] == outside
    assert "王" not in response.content.decode()
    # the ward the guardian has in the registry: nothing of her either (as the scan)
    ward = _page(client_for(community_staff), desk, language, kind="child", guardian=WANGFANG, name="王宝宝")
    assert ward.status_code == 201, ward.json()
    assert ward.json()["people"][0]["name"] == outside and "王" not in ward.content.decode()
    scan = _api(api_for(community_staff), desk, language, kind="scan", value=WANGFANG, tube="tube-2")
    assert scan.json()["people"][0]["name"] == outside
    # the district commander sees the guardian: masked name
    theirs = _api(api_for(district_commander), desk, language, kind="child", guardian=WANGFANG, name="小兰")
    assert theirs.status_code == 201 and theirs.json()["people"][0]["guardian"] == "王*"


NAME_REFUSED = {
    "en": "Child's name: not a plausible name: angle brackets and control characters are not allowed",
    "zh-hans": "儿童姓名：不像是姓名：不允许尖括号和控制字符",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "小明\x07"])
def test_a_child_name_with_markup_or_control_characters_is_refused(
    name, language, desk, population, community_staff, api_for, client_for
):
    for response in (
        _api(api_for(community_staff), desk, language, kind="child", guardian=LISI, name=name),
        _page(client_for(community_staff), desk, language, kind="child", guardian=LISI, name=name),
    ):
        assert response.status_code == 400
        assert response.json() == {
            "status": "refused",
            "code": "bad_input",
            "message": NAME_REFUSED[language],
            "field": "name",
        }
        assert "script" not in response.content.decode()
    assert not Sample.objects.exists() and not SubmissionKey.objects.filter(scope="desk").exists()


def test_an_unregistered_persons_name_follows_the_same_rule(desk, community_staff, api_for):
    response = _api(api_for(community_staff), desk, "en", kind="scan", value=stranger_id(613), name="<b>x</b>")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Name: not a plausible name: angle brackets and control characters are not allowed"
    )
    assert response.json()["field"] == "name" and not Sample.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_full_width_number_is_quoted_in_ascii(language, desk, population, community_staff, api_for):
    full_width = "６２０１０３１９８５０１１５００１３"  # 李四's number with a wrong check digit
    scan = _api(api_for(community_staff), desk, language, kind="scan", value=full_width)
    assert scan.status_code == 400
    assert "6201**********0013" in scan.json()["message"] and "６" not in scan.json()["message"]
    pick = _api(api_for(community_staff), desk, language, kind="resident", value="６２０１０３１９８５０１１５９７５４")
    assert pick.status_code == 409 and pick.json()["code"] == "not_found"
    assert (
        pick.json()["message"]
        == {"en": "No resident 6201**********9754", "zh-hans": "没有居民 6201**********9754"}[language]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_malformed_resident_number_and_an_empty_child_name_are_400(
    language, desk, population, community_staff, api_for, client_for
):
    expected = {"en": "“abc” is not a resident number", "zh-hans": "“abc”不是居民编号"}[language]
    for response in (
        _api(api_for(community_staff), desk, language, kind="resident", value="abc"),
        _page(client_for(community_staff), desk, language, kind="resident", value="abc"),
    ):
        assert response.status_code == 400
        assert response.json() == {"status": "refused", "code": "bad_input", "message": expected, "field": "value"}
    unknown = _api(api_for(community_staff), desk, language, kind="resident", value="99999999")
    assert unknown.status_code == 409 and unknown.json()["code"] == "not_found"  # well formed: the data's answer
    give = {"en": "Give the child's name", "zh-hans": "请填写儿童姓名"}[language]
    for response in (
        _api(api_for(community_staff), desk, language, kind="child", guardian=stranger_id(614), name=""),
        _page(client_for(community_staff), desk, language, kind="child", guardian=stranger_id(614), name=" "),
    ):
        assert response.status_code == 400
        assert response.json() == {"status": "refused", "code": "bad_input", "message": give, "field": "name"}
    assert not Sample.objects.exists()
    assert SubmissionKey.objects.filter(scope="desk").count() == 1  # only the unknown id's 409 is stored
