"""Lab results: one per tube, held lines, positive pools and their follow-up, invalid samples,
retests, overdue results and escalation up the 包保 chain."""

import datetime as dt

import pytest
from django.utils import timezone

from lianfang.screening.models import (
    ExceptionReason,
    FollowUpMember,
    LabResult,
    Notice,
    PoolFollowUp,
    RoundMember,
    SamplingTask,
    TaskKind,
    Tube,
)
from lianfang.screening.services.results import ResultLine, results_record
from lianfang.screening.services.tick import screening_tick
from lianfang.screening.tests.conftest import close, submit

pytestmark = pytest.mark.django_db

H1_IDS = ["11010519491231002X", "440524188001010014"]


def fill(actor, desk, ids, tube, barcode):
    for number in ids:
        assert submit(actor, desk, "scan", number, tube=tube)[0] == 201
    assert close(actor, desk, tube, barcode)[0] == 200


def soon() -> str:
    """A report time as a lab writes it (local, to the minute): after the tubes just closed, within the
    clock skew allowed (results.CLOCK_SKEW)."""
    return (timezone.localtime() + dt.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")


def line(barcode, value, n=1, lab="兰州检测中心"):
    return ResultLine(line=n, barcode=barcode, value=value, lab=lab, reported=soon())


def record(actor, *lines):
    return results_record(actor=actor, lines=list(lines), path="620103")


def test_a_line_naming_three_tubes_is_rejected(desk, district_commander):
    fill(district_commander, desk, H1_IDS[:1], "tube-a", "QL0001")
    batch = record(district_commander, line("QL0001, QL0002、QL0003", "阴性"))
    assert batch.counts == {"lines": 1, "applied": 0, "unchanged": 0, "held": 1}
    held = batch.exceptions.get()
    assert (held.reason, held.barcode_text, held.line) == (ExceptionReason.SEVERAL_TUBES, "QL0001, QL0002、QL0003", 1)
    assert Tube.objects.get(barcode="QL0001").status == "closed" and not LabResult.objects.exists()


def test_unknown_duplicate_open_and_unreadable_lines_are_held(desk, district_commander):
    fill(district_commander, desk, H1_IDS[:1], "tube-a", "QL0001")
    assert submit(district_commander, desk, "scan", H1_IDS[1], tube="tube-open")[0] == 201
    batch = record(
        district_commander,
        line("QL0001", "negative", 1),
        line("QL0001", "negative", 2),
        line("QL9999", "negative", 3),
        line("tube-open", "negative", 4),
        line("QL0001", "maybe", 5),
    )
    reasons = dict(batch.exceptions.values_list("line", "reason"))
    assert reasons == {2: "duplicate", 3: "unknown_tube", 5: "bad_value", 4: "tube_open"}  # 4: its key
    assert batch.counts["applied"] == 1
    # a re-upload of the same result changes nothing and is not held
    again = record(district_commander, line("QL0001", "阴性"))
    assert again.counts == {"lines": 1, "applied": 0, "unchanged": 1, "held": 0}
    assert LabResult.objects.count() == 1


def test_positive_pool_opens_a_follow_up_and_a_late_negative_is_held(desk, district_commander, population):
    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    record(district_commander, line("QL0001", "阳性"))
    tube = Tube.objects.get(barcode="QL0001")
    assert (tube.status, tube.result, tube.lab) == ("resulted", "positive", "兰州检测中心")
    fu = PoolFollowUp.objects.get(tube=tube)
    members = list(FollowUpMember.objects.filter(follow_up=fu).order_by("id"))
    assert [m.status for m in members] == ["isolating", "isolating"]
    assert {m.resident_id for m in members} == {population["张三"].pk, population["张小明"].pk}
    retests = SamplingTask.objects.filter(follow_up=fu, kind=TaskKind.RETEST)
    assert retests.count() == 2 and {t.mode for t in retests} == {"single"}
    assert Notice.objects.filter(follow_up=fu, household=population["h1"]).count() == 1
    assert set(fu.steps.values_list("kind", flat=True)) == {"isolate", "notify", "retest", "area_proposal"}
    assert fu.steps.get(kind="area_proposal").note  # no operation open: nothing proposed, said so
    assert set(RoundMember.objects.filter(resident__household=population["h1"]).values_list("result", flat=True)) == {
        "positive"
    }
    # a pool-positive list re-uploaded as negative: held, never overwrites
    late = record(district_commander, line("QL0001", "阴性"))
    assert late.counts["held"] == 1 and late.exceptions.get().reason == ExceptionReason.CONTRADICTS
    tube.refresh_from_db()
    assert tube.result == "positive" and LabResult.objects.get(tube=tube).value == "positive"


def test_follow_up_closes_when_every_member_has_an_individual_result(desk, district_commander, population):
    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    record(district_commander, line("QL0001", "positive"))
    fu = PoolFollowUp.objects.get()
    for i, task in enumerate(SamplingTask.objects.filter(follow_up=fu).select_related("resident").order_by("id")):
        number = H1_IDS[0] if task.resident.name == "张三" else H1_IDS[1]
        assert submit(district_commander, task, "scan", number, tube=f"retest-{i}")[0] == 201
        assert close(district_commander, task, f"retest-{i}", f"RT000{i}")[0] == 200
    record(district_commander, line("RT0000", "negative"))
    fu.refresh_from_db()
    assert fu.status == "open"
    record(district_commander, line("RT0001", "positive", 1))
    fu.refresh_from_db()
    assert fu.status == "closed" and fu.status_reason == "all_retested"
    statuses = {m.resident.name: m.status for m in fu.members.select_related("resident")}
    assert statuses == {"张三": "negative", "张小明": "positive"}
    assert RoundMember.objects.get(resident=population["张三"]).result == "negative"
    assert not FollowUpMember.objects.filter(follow_up=fu, retest_tube__isnull=True).exists()


def test_invalid_tube_creates_resampling_tasks(desk, district_commander, population):
    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    record(district_commander, line("QL0001", "无效"))
    tasks = SamplingTask.objects.filter(kind=TaskKind.RESAMPLE)
    assert {t.resident_id for t in tasks} == {population["张三"].pk, population["张小明"].pk}
    member = RoundMember.objects.get(resident=population["张三"])
    assert (member.result, member.awaiting_home_visit) == ("invalid", True)
    task = tasks.get(resident=population["张三"])
    assert submit(district_commander, task, "scan", H1_IDS[0], tube="resample-1")[0] == 201
    member.refresh_from_db()
    assert member.result == "pending" and member.sample.purpose == "resample"


def test_overdue_results_and_steps_escalate_up_the_chain(desk, district_commander, population):
    from lianfang.screening.selectors import overdue_results, overdue_steps

    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    fill(district_commander, desk, ["620103198501150012"], "tube-b", "QL0002")
    later = timezone.now() + dt.timedelta(hours=25)
    assert [t.barcode for t in overdue_results(user=district_commander, at=later)] == ["QL0001", "QL0002"]
    record(district_commander, line("QL0001", "positive"))
    assert [t.barcode for t in overdue_results(user=district_commander, at=later)] == ["QL0002"]
    report = screening_tick(at=later)
    assert report.tubes_flagged == 1 and Tube.objects.get(barcode="QL0002").pending_flagged_at == later
    assert screening_tick(at=later).tubes_flagged == 0  # idempotent
    steps = list(overdue_steps(user=district_commander, at=later))
    assert {s.kind for s in steps} == {"isolate", "retest"}
    assert {s.escalated_level for s in steps} == {3}
    # two hours later, one more level up; never past L1
    screening_tick(at=later + dt.timedelta(hours=2))
    assert {s.escalated_level for s in overdue_steps(user=district_commander, at=later)} == {2}
    for hours in (4, 6, 8):
        screening_tick(at=later + dt.timedelta(hours=hours))
    assert {s.escalated_level for s in overdue_steps(user=district_commander, at=later)} == {1}


def test_csv_upload_in_gbk_through_the_page(client_for, district_commander, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    text = (
        "管号,结果,检测机构,报告时间\n"
        f"QL0001,阴性,兰州检测中心,{soon()}\n"
        f"QL0001;QL0002;QL0003,阴性,兰州检测中心,{soon()}\n"
    )
    upload = SimpleUploadedFile("结果.csv", text.encode("gbk"), content_type="text/csv")
    client = client_for(district_commander)
    response = client.post(reverse("screening:results"), {"file": upload, "lab": ""})
    assert response.status_code == 302
    assert Tube.objects.get(barcode="QL0001").result == "negative"
    page = client.get(reverse("screening:results")).content.decode()
    assert "QL0001;QL0002;QL0003" in page


def test_xlsx_results_file(district_commander, desk):
    import io

    from openpyxl import Workbook

    from lianfang.screening.importers import read_result_file

    fill(district_commander, desk, H1_IDS, "tube-a", "QL0001")
    book = Workbook()
    sheet = book.active
    sheet.append(["Tube barcode", "Result", "Lab", "Time"])
    at = timezone.localtime().replace(tzinfo=None, microsecond=0) + dt.timedelta(minutes=2)
    sheet.append(["QL0001", "negative", "Lab A", at])
    buffer = io.BytesIO()
    book.save(buffer)
    lines = read_result_file(buffer.getvalue(), "r.xlsx")
    assert [(ln.line, ln.barcode, ln.value, ln.lab) for ln in lines] == [(2, "QL0001", "negative", "Lab A")]
    batch = record(district_commander, *lines)
    assert batch.counts["applied"] == 1
    assert timezone.localtime(LabResult.objects.get().reported_at).replace(tzinfo=None) == at
