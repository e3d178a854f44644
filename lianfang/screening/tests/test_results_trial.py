"""Lab results, new-user trial: a community records results only for the tubes it may see (another
community's tube is held like an unknown one and reveals nothing), report times in the future or
before the tube was closed are held, a line without a barcode has its own reason, big uploads are
looked up in chunks and refused past the limit with a message naming it, and the advisor's pool
sizes are translated."""

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lianfang.conftest import SHANGXIYUAN, _user
from lianfang.screening.importers import MAX_RESULT_FILE_BYTES
from lianfang.screening.models import (
    ExceptionReason,
    LabResult,
    PoolFollowUp,
    ResultException,
    ResultImport,
    Tube,
)
from lianfang.screening.services.results import CLOCK_SKEW, LOOKUP_CHUNK, MAX_RESULT_LINES, ResultLine, results_record
from lianfang.screening.tests.test_results import H1_IDS, fill, soon

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RESULTS_API = "api:screening-result-list"
HELD_API = "api:screening-held-result-list"


def local(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def csv_upload(*rows, name="结果.csv"):
    text = "管号,结果,检测机构,报告时间\n" + "".join(f"{row}\n" for row in rows)
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def post_api(api, lines):
    return api.post(reverse(RESULTS_API), {"lines": lines}, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex, **EN)


@pytest.fixture
def tube_a(desk, district_commander):
    """A closed 2-in-1 tube QL0001 of 下西园 (the desk's site is in its compound)."""
    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    tube = Tube.objects.get(barcode="QL0001")
    assert tube.path.startswith("620103001001") and tube.status == "closed"
    return tube


@pytest.fixture
def other_cadre(qilihe):
    """A stationed cadre (驻村干部) of 上西园: may run rounds there, sees nothing of 下西园."""
    return _user("cadre2", "stationed_cadre", SHANGXIYUAN)


def assert_untouched(tube):
    tube.refresh_from_db()
    assert (tube.status, tube.result, tube.result_at) == ("closed", "", None)
    assert not LabResult.objects.filter(tube=tube).exists()
    assert not PoolFollowUp.objects.filter(tube=tube).exists()


def assert_held_as_unknown(held, path=SHANGXIYUAN):
    """Held like a barcode nobody knows: no link to the tube, the importer's division, no trace of 下西园."""
    assert (held.reason, held.tube_id, held.path) == (ExceptionReason.UNKNOWN_TUBE, None, path)
    assert "620103001001" not in " ".join(str(v) for v in vars(held).values())


# ----------------------------------------------------------------------------------------- scope


@pytest.mark.parametrize("who", ["other_community_staff", "other_cadre"])
def test_another_community_cannot_record_a_result_for_a_tube_it_cannot_see(request, who, tube_a, district_commander):
    outsider = request.getfixturevalue(who)
    line = ResultLine(line=1, barcode="QL0001", value="阳性", lab="兰州检测中心", reported=soon())
    batch = results_record(actor=outsider, lines=[line], path=SHANGXIYUAN)
    assert batch.counts == {"lines": 1, "applied": 0, "unchanged": 0, "held": 1}
    assert_held_as_unknown(batch.exceptions.get())
    assert_untouched(tube_a)
    # the district records it
    batch = results_record(actor=district_commander, lines=[line], path="620103")
    assert batch.counts["applied"] == 1
    tube_a.refresh_from_db()
    assert (tube_a.status, tube_a.result) == ("resulted", "positive")
    assert PoolFollowUp.objects.filter(tube=tube_a).count() == 1


def test_the_results_page_holds_another_communitys_tube_as_unknown(
    client_for, other_community_staff, district_commander, tube_a
):
    client = client_for(other_community_staff)
    upload = csv_upload(f"QL0001,阳性,兰州检测中心,{soon()}")
    assert client.post(reverse("screening:results"), {"file": upload, "lab": ""}, **ZH).status_code == 302
    assert_held_as_unknown(ResultException.objects.get())
    assert_untouched(tube_a)
    page = client.get(reverse("screening:results"), **ZH).content.decode()
    assert "未知采样管" in page and "QL0001" in page
    # the district's upload of the same file applies it
    client = client_for(district_commander)
    upload = csv_upload(f"QL0001,阳性,兰州检测中心,{soon()}")
    assert client.post(reverse("screening:results"), {"file": upload, "lab": ""}, **ZH).status_code == 302
    tube_a.refresh_from_db()
    assert tube_a.result == "positive" and PoolFollowUp.objects.filter(tube=tube_a).exists()


def test_the_results_api_holds_another_communitys_tube_as_unknown(
    api_for, other_community_staff, district_commander, tube_a
):
    api = api_for(other_community_staff)
    response = post_api(api, [{"barcode": "QL0001", "result": "positive", "lab": "兰州检测中心"}])
    assert response.status_code == 201, response.content
    assert (response.json()["applied"], response.json()["held"]) == (0, 1)
    held = api.get(reverse(HELD_API)).json()["results"]
    assert [(h["barcode_text"], h["reason"], h["tube"]) for h in held] == [("QL0001", "unknown_tube", None)]
    assert_held_as_unknown(ResultException.objects.get())
    assert_untouched(tube_a)
    response = post_api(api_for(district_commander), [{"barcode": "QL0001", "result": "positive", "lab": "L"}])
    assert (response.status_code, response.json()["applied"]) == (201, 1)
    assert PoolFollowUp.objects.filter(tube=tube_a).count() == 1


# ----------------------------------------------------------------------------------------- times


def test_a_report_time_in_the_future_is_held_within_the_clock_skew_applied(district_commander, desk, tube_a):
    fill(district_commander, desk, ["620103198501150012"], "tube-b", "QL0002")
    now = timezone.now()
    lines = [
        ResultLine(line=1, barcode="QL0001", value="阴性", lab="L", reported=local(now + dt.timedelta(hours=3))),
        ResultLine(line=2, barcode="QL0002", value="阴性", lab="L", reported=local(now + CLOCK_SKEW / 2)),
    ]
    batch = results_record(actor=district_commander, lines=lines, path="620103")
    assert batch.counts == {"lines": 2, "applied": 1, "unchanged": 0, "held": 1}
    held = batch.exceptions.get()
    assert (held.line, held.reason, held.get_reason_display()) == (1, "future_time", "Report time is in the future")
    assert_untouched(tube_a)
    assert Tube.objects.get(barcode="QL0002").result == "negative"


def test_a_report_time_before_the_tube_was_closed_is_held(district_commander, tube_a):
    before = tube_a.closed_at - dt.timedelta(minutes=5)
    line = ResultLine(line=7, barcode="QL0001", value="阴性", lab="L", reported=local(before))
    batch = results_record(actor=district_commander, lines=[line], path="620103")
    held = batch.exceptions.get()
    assert (held.line, held.reason, held.tube_id) == (7, "before_closed", tube_a.pk)
    assert held.get_reason_display() == "Reported before the tube was closed"
    assert_untouched(tube_a)


def test_the_api_holds_times_in_the_future_and_before_closing(api_for, district_commander, tube_a):
    api = api_for(district_commander)
    ahead = (timezone.now() + dt.timedelta(days=1)).isoformat()
    before = (tube_a.closed_at - dt.timedelta(hours=1)).isoformat()
    response = post_api(
        api,
        [
            {"barcode": "QL0001", "result": "negative", "lab": "L", "reported_at": ahead},
            {"barcode": "QL0001", "result": "negative", "lab": "L", "reported_at": before},
        ],
    )
    assert response.status_code == 201, response.content
    held = api.get(reverse(HELD_API), {"ordering": "line"}).json()["results"]
    assert sorted((h["line"], h["reason"]) for h in held) == [(1, "future_time"), (2, "before_closed")]
    assert_untouched(tube_a)


def test_the_page_names_the_new_reasons_in_chinese(client_for, district_commander, tube_a):
    client = client_for(district_commander)
    ahead = local(timezone.now() + dt.timedelta(hours=2))
    before = local(tube_a.closed_at - dt.timedelta(hours=2))
    upload = csv_upload(
        f"QL0001,阴性,兰州检测中心,{ahead}",
        f"QL0001,阴性,兰州检测中心,{before}",
        f",阴性,兰州检测中心,{soon()}",
    )
    assert client.post(reverse("screening:results"), {"file": upload, "lab": ""}, **ZH).status_code == 302
    reasons = dict(ResultException.objects.values_list("line", "reason"))
    assert reasons == {2: "future_time", 3: "before_closed", 4: "no_barcode"}
    page = client.get(reverse("screening:results"), **ZH).content.decode()
    for label in ("报告时间晚于当前时间", "报告时间早于封管时间", "缺少采样管管码"):
        assert label in page
    assert_untouched(tube_a)


# ----------------------------------------------------------------------------------------- no barcode


def test_an_empty_barcode_is_held_as_no_tube_barcode(district_commander, tube_a):
    lines = [
        ResultLine(line=1, barcode="", value="阴性", lab="L", reported=soon()),
        ResultLine(line=2, barcode=" 、 ", value="阴性", lab="L", reported=soon()),
        ResultLine(line=3, barcode="", value="maybe", lab="L", reported=soon()),
        ResultLine(line=4, barcode="QL0001", value="maybe", lab="L", reported=soon()),
    ]
    batch = results_record(actor=district_commander, lines=lines, path="620103")
    reasons = dict(batch.exceptions.values_list("line", "reason"))
    assert reasons == {1: "no_barcode", 2: "no_barcode", 3: "no_barcode", 4: "bad_value"}
    assert batch.exceptions.filter(line=1).get().get_reason_display() == "No tube barcode"


# ----------------------------------------------------------------------------------------- size


def test_more_than_a_thousand_barcodes_are_looked_up_in_chunks(district_commander, tube_a):
    lines = [ResultLine(line=1, barcode="QL0001", value="阴性", lab="L", reported=soon())]
    lines += [ResultLine(line=n, barcode=f"ZZ{n:06d}", value="阴性", lab="L") for n in range(2, 1202)]
    with CaptureQueriesContext(connection) as queries:
        batch = results_record(actor=district_commander, lines=lines, path="620103")
    assert batch.counts == {"lines": 1201, "applied": 1, "unchanged": 0, "held": 1200}
    assert batch.exceptions.filter(reason="unknown_tube").count() == 1200
    lookups = [q["sql"] for q in queries.captured_queries if '"barcode" IN' in q["sql"]]
    assert len(lookups) == -(-1201 // LOOKUP_CHUNK) == 3
    assert all(sql.count("'ZZ") + sql.count("'QL") <= LOOKUP_CHUNK for sql in lookups)
    tube_a.refresh_from_db()
    assert tube_a.result == "negative"


def test_a_file_over_the_line_limit_is_refused_naming_the_limit_and_its_size(client_for, district_commander, tube_a):
    rows = "".join(f"QL{n:07d},阴性\n" for n in range(MAX_RESULT_LINES + 1))
    upload = SimpleUploadedFile("大文件.csv", ("管号,结果\n" + rows).encode(), content_type="text/csv")
    client = client_for(district_commander)
    response = client.post(reverse("screening:results"), {"file": upload, "lab": "L"}, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "大文件.csv has 200,001 result lines: at most 200,000 lines per upload; split the file." in page
    assert not ResultImport.objects.exists() and not ResultException.objects.exists()
    assert_untouched(tube_a)


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(client_for, district_commander):
    data = "管号,结果\n".encode() + b"x" * MAX_RESULT_FILE_BYTES  # 30 MB and 14 bytes
    upload = SimpleUploadedFile("huge.csv", data, content_type="text/csv")
    response = client_for(district_commander).post(reverse("screening:results"), {"file": upload, "lab": ""}, **ZH)
    assert response.status_code == 200
    assert "huge.csv大小为30.1 MB，每次最多上传30 MB，请拆分文件。" in response.content.decode()
    assert not ResultImport.objects.exists()


def test_the_api_refuses_a_batch_over_the_request_limit_naming_it(api_for, district_commander):
    """200,001 lines are over the 2.5 MB request limit (core.views.bad_request): a 413 naming it."""
    lines = [{"barcode": f"B{n}", "result": "-"} for n in range(MAX_RESULT_LINES + 1)]
    response = post_api(api_for(district_commander), lines)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is larger than the 2.5 MB limit: send less at once."}
    assert not ResultImport.objects.exists()


def test_the_api_refuses_more_lines_than_the_limit_naming_it(api_for, district_commander, settings):
    """Where the request limit is raised, the line limit still holds: a 400 naming it and the count."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 2**20
    lines = [{"barcode": f"B{n}", "result": "-"} for n in range(MAX_RESULT_LINES + 1)]
    response = post_api(api_for(district_commander), lines)
    assert response.status_code == 400
    assert response.json() == {"lines": ["200,001 result lines: at most 200,000 lines per upload; split the file."]}
    assert not ResultImport.objects.exists()


# ----------------------------------------------------------------------------------------- advisor


def test_the_advisor_names_pool_sizes_in_the_pages_language(client_for, district_commander):
    client = client_for(district_commander)
    english = client.get(reverse("screening:advisor"), {"percent": "2"}, **EN).content.decode()
    assert "10-in-1" in english and "合1" not in english
    chinese = client.get(reverse("screening:advisor"), {"percent": "2"}, **ZH).content.decode()
    assert "10合1" in chinese and "-in-1" not in chinese
