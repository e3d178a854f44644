"""New-user trial findings on the desk API: a reused idempotency key with another body, impossible
sample times, and the words of refusals (missing barcode, a desk out of scope)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lianfang.screening.models import Sample, SubmissionKey
from lianfang.screening.tests.conftest import key, submit

pytestmark = pytest.mark.django_db
URL = "api:screening-sample-list"


def _post(api, desk, k, **body):
    body = {"desk": desk.pk, "kind": "scan", "tube": "tube-1", **body}
    return api.post(reverse(URL), body, format="json", HTTP_IDEMPOTENCY_KEY=k)


def test_a_key_reused_with_another_body_is_refused(desk, community_staff, api_for, population):
    api = api_for(community_staff)
    k = key()
    first = _post(api, desk, k, value="620103198501150012")
    assert first.status_code == 201
    again = _post(api, desk, k, value="620103198501150012")
    assert again.status_code == 201 and again.json()["replayed"] is True
    other = _post(api, desk, k, value="620103198703120022")
    assert other.status_code == 409
    assert other.json()["code"] == "key_reused" and k in other.json()["message"]
    assert not Sample.objects.filter(resident=population["赵丽"]).exists()
    # the same through the desk page's endpoint and for a stored refusal
    refused_key = key()
    assert submit(community_staff, desk, "resident", "99999999", key=refused_key)[0] == 409
    assert submit(community_staff, desk, "resident", "99999999", key=refused_key)[1]["replayed"] is True
    status, body = submit(community_staff, desk, "resident", str(population["赵丽"].pk), key=refused_key)
    assert (status, body["code"]) == (409, "key_reused")
    assert len(SubmissionKey.objects.get(key=refused_key).body_hash) == 64


def test_a_key_reused_for_another_round_body_is_refused(rnd, district_commander, api_for, population):
    api = api_for(district_commander)
    k = key()
    url = reverse("api:screening-site-list")
    body = {"round": rnd.pk, "name": "二号点", "division": population["compound_a"].code}
    assert api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=k).status_code == 201
    replay = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    other = api.post(url, {**body, "name": "三号点"}, format="json", HTTP_IDEMPOTENCY_KEY=k)
    assert other.status_code == 409 and other.json()["code"] == "key_reused"


@pytest.mark.parametrize("at", ["2099-01-01T00:00:00Z", "1990-01-01T00:00:00Z", "yesterday"])
def test_impossible_sample_times_are_refused_naming_the_field(at, desk, community_staff, api_for, population):
    response = _post(api_for(community_staff), desk, key(), value="620103198501150012", at=at)
    if at == "yesterday":  # DRF's own field validation
        assert response.status_code == 400 and "at" in response.json()
        return
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("bad_input", "at")
    assert dt.datetime.fromisoformat(body["value"]) == dt.datetime.fromisoformat(at)  # as DRF wrote it
    assert body["value"] in body["message"]
    assert not Sample.objects.exists()


def test_a_sample_time_of_an_offline_queue_is_kept(desk, rnd, community_staff):
    opened = timezone.now() - dt.timedelta(hours=1)
    type(rnd).objects.filter(pk=rnd.pk).update(opened_at=opened)
    desk.round.opened_at = opened
    at = timezone.now() - dt.timedelta(seconds=30)
    status, body = submit(community_staff, desk, "scan", "620103198501150012", at=at.isoformat())
    assert status == 201, body
    assert Sample.objects.get().taken_at == at.replace(microsecond=at.microsecond)
    status, body = submit(community_staff, desk, "scan", "620103198703120022", at="not a time")
    assert (status, body["field"]) == (400, "at")
    assert "“not a time”" in body["message"]


def test_refusal_words(desk, community_staff, api_for, population):
    status, body = submit(community_staff, desk, "close", "", tube="tube-1")
    assert (status, body["message"]) == (400, "The tube barcode is missing: scan the tube's barcode")
    assert submit(community_staff, desk, "scan", "620103198501150012", tube="tube-1")[0] == 201
    status, body = submit(community_staff, desk, "close", "ab", tube="tube-1")
    assert body["message"] == "“AB” is not a tube barcode"
    with translation.override("zh-hans"):
        status, body = submit(community_staff, desk, "close", "", tube="tube-1")
        assert "''" not in body["message"] and "管码" in body["message"]
        status, body = submit(community_staff, desk, "scan", "LFH:1:0", tube="tube-1")
        assert "'" not in body["message"] and "LFH:1:0" in body["message"]
    missing = api_for(community_staff).post(
        reverse(URL),
        {"desk": 999999, "kind": "scan", "value": "x", "tube": "t-1"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key(),
    )
    assert missing.status_code == 400  # a field error naming the id, never the model's name
    assert missing.json() == {"desk": ["999999 不存在或不在您的范围内"]}


def test_missed_people_tab_only_for_division_scope(population, district_commander, client_for):
    from lianfang.accounts.models import RoleAssignment
    from lianfang.conftest import _user

    rep = _user("rep")
    RoleAssignment.objects.create(
        user=rep, role="household_representative", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    missed = reverse("screening:missed")
    page = client_for(rep).get(reverse("screening:index"))
    assert page.status_code == 200 and f'href="{missed}"' not in page.content.decode()
    page = client_for(district_commander).get(reverse("screening:index"))
    assert f'href="{missed}"' in page.content.decode()


def test_unreadable_scans_are_a_400_quoting_the_value_masked_and_cut(desk, community_staff, api_for, population):
    """New-user trial: a real ID one digit off was echoed in full in a stored 409; 16 or 17 digits
    and full-width digits answered "the tube is empty"; a 100-digit value was echoed in full."""
    api = api_for(community_staff)
    wrong = _post(api, desk, key(), value="620103198501150013")  # check digit off by one
    assert wrong.status_code == 400
    assert wrong.json() == {
        "status": "refused",
        "code": "bad_input",
        "message": "校验码不符（GB 11643-1999）：“6201**********0013”",
        "field": "value",
    }
    answers = {
        value: _post(api, desk, key(), value=value).json()["message"]
        for value in ("6201031985011500", "62010319850115001", "６２０１０３", "1" * 100)
    }
    assert answers == {
        "6201031985011500": "“6201********1500”不是身份证号、住户二维码或采样管管码",
        "62010319850115001": "“6201*********5001”不是身份证号、住户二维码或采样管管码",
        "６２０１０３": "“620103”不是身份证号、住户二维码或采样管管码",  # NFKC before quoting (trial 13)
        "1" * 100: "“1111****************…”不是身份证号、住户二维码或采样管管码",
    }
    assert not SubmissionKey.objects.exists() and not Sample.objects.exists()
    with translation.override("en"):
        status, body = submit(community_staff, desk, "scan", "6201031985011500")
    not_a_scan = "“6201********1500” is not an ID number, a household code or a tube barcode"
    assert (status, body["message"]) == (400, not_a_scan)
    # a full ID in full-width digits still registers (NFKC), and a barcode still closes the tube
    full_width = _post(api, desk, key(), value="６２０１０３１９８５０１１５００１２")
    assert full_width.status_code == 201 and full_width.json()["people"][0]["id"] == "6201**********0012"
    closed = _post(api, desk, key(), value="T-20260001")
    assert (closed.status_code, closed.json()["message"]) == (200, "采样管 T-20260001 已封管")
    long_qr = _post(api, desk, key(), value="LFH:" + "9" * 60)
    assert (long_qr.status_code, long_qr.json()["message"]) == (409, "无法识别的住户二维码“LFH:9999************…”")
