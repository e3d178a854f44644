"""City-scale COPY paths (PostgreSQL only): same rules as the per-row services."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from lianfang.screening import bulkload
from lianfang.screening.models import PoolFollowUp, ResultException, RoundMember, Sample, SamplingTask, Tube
from lianfang.screening.tests.conftest import close, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY paths need PostgreSQL"),
]


def soon(minutes: int) -> str:
    """A report time ``minutes`` after now (the tubes of these tests close now; a result reported
    before its tube was closed is held)."""
    return (timezone.now() + dt.timedelta(minutes=minutes)).isoformat()


def test_samples_and_results_by_copy(rnd, desk, district_commander, population):
    # two tubes made at the desk (empty of people), filled by the bulk file
    for tube, number in (("bulk-a", "11010519491231002X"), ("bulk-b", "620103198501150012")):
        assert submit(district_commander, desk, "scan", number, tube=tube)[0] == 201
        close(district_commander, desk, tube, tube.upper())
    zhang, ming, zhao = population["张三"], population["张小明"], population["赵丽"]
    csv = (
        f"BULK-A,{ming.pk},2026-11-29T08:00:00+08:00,k-ming\n"
        f"BULK-A,{zhang.pk},2026-11-29T08:00:00+08:00,k-zhang\n"  # already sampled at the desk: skipped
        f"BULK-B,{zhao.pk},2026-11-29T08:01:00+08:00,k-zhao\n"
        f"NOPE,{zhao.pk},2026-11-29T08:01:00+08:00,k-nope\n"
    ).encode()
    report = bulkload.samples_ingest(actor=district_commander, round=rnd, source=csv)
    assert report == {"lines": 4, "inserted": 2, "already": 0, "rejected": 2}
    again = bulkload.samples_ingest(actor=district_commander, round=rnd, source=csv)  # re-sent
    assert again == {"lines": 4, "inserted": 0, "already": 2, "rejected": 2}
    assert Sample.objects.count() == 4
    assert RoundMember.objects.filter(result="pending").count() == 4
    assert RoundMember.objects.get(resident=ming).sample == Sample.objects.get(idempotency_key="k-ming")
    assert RoundMember.objects.get(resident=ming).result == "pending"
    results = (
        f"BULK-A,positive,Lab,{soon(1)}\nBULK-B,negative,Lab,{soon(1)}\n"
        f"BULK-B,negative,Lab,{soon(2)}\nX1,negative,Lab,{soon(1)}\n"
    ).encode()
    counts = bulkload.results_ingest(actor=district_commander, source=results, path="620103")
    assert (counts["applied"], counts["held"]) == (2, 2)
    assert sorted(ResultException.objects.values_list("reason", flat=True)) == ["duplicate", "unknown_tube"]
    assert Tube.objects.get(barcode="BULK-A").result == "positive" and PoolFollowUp.objects.count() == 1
    assert RoundMember.objects.get(resident=zhao).result == "negative"
    late = bulkload.results_ingest(
        actor=district_commander, source=f"BULK-A,negative,Lab,{soon(3)}\n".encode(), path="620103"
    )
    assert late["held"] == 1 and Tube.objects.get(barcode="BULK-A").result == "positive"


def test_samples_file_with_collisions_takes_the_safe_path(rnd, desk, district_commander, population):
    """A person twice in the file, and a key the desk already used for someone else: the fast insert
    meets a unique violation and the ON CONFLICT variant applies the file (the earliest line wins)."""
    assert submit(district_commander, desk, "scan", "11010519491231002X", tube="bulk-c", key="desk-key")[0] == 201
    close(district_commander, desk, "bulk-c", "BULK-C")
    ming, zhao, li = population["张小明"], population["赵丽"], population["李四"]
    csv = (
        f"BULK-C,{ming.pk},2026-11-29T08:02:00+08:00,k-ming-2\n"  # same person, later: rejected
        f"BULK-C,{ming.pk},2026-11-29T08:00:00+08:00,k-ming-1\n"
        f"BULK-C,{zhao.pk},2026-11-29T08:01:00+08:00,desk-key\n"  # key already used: counted as already
        f"BULK-C,{li.pk},2026-11-29T08:03:00+08:00,k-li\n"
    ).encode()
    report = bulkload.samples_ingest(actor=district_commander, round=rnd, source=csv)
    assert report == {"lines": 4, "inserted": 2, "already": 1, "rejected": 1}
    first = Sample.objects.get(idempotency_key="k-ming-1")
    assert (first.resident, first.member.resident, first.name, first.path, first.person_key) == (
        ming,
        ming,
        ming.name,
        ming.path,
        f"r{ming.pk}",
    )
    assert not Sample.objects.filter(idempotency_key="k-ming-2").exists()
    assert RoundMember.objects.get(resident=zhao).result == ""  # the desk key was someone else's sample
    assert RoundMember.objects.get(resident=li).sample.idempotency_key == "k-li"


def test_results_by_copy_invalid_and_unchanged(rnd, desk, district_commander, population):
    for tube, number in (("bulk-d", "620103198501150012"), ("bulk-e", "620103198703120022")):
        assert submit(district_commander, desk, "scan", number, tube=tube)[0] == 201
        close(district_commander, desk, tube, tube.upper())
    results = f"BULK-D,invalid,Lab,{soon(1)}\nBULK-E,negative,Lab,{soon(1)}\n".encode()
    counts = bulkload.results_ingest(actor=district_commander, source=results, path="620103")
    assert counts == {"lines": 2, "applied": 2, "unchanged": 0, "held": 0}
    li, zhao = population["李四"], population["赵丽"]
    assert RoundMember.objects.get(resident=li).result == "invalid"
    assert RoundMember.objects.get(resident=zhao).result == "negative"
    assert SamplingTask.objects.filter(kind="resample", resident=li, status="open").count() == 1
    again = bulkload.results_ingest(actor=district_commander, source=results, path="620103")
    assert again == {"lines": 2, "applied": 0, "unchanged": 2, "held": 0}


def test_results_by_copy_keep_to_the_importers_division_and_the_clock(
    rnd, desk, district_commander, community_staff, other_community_staff, population
):
    """Trial 13 left this out: the COPY path ignored scope and time. A tube outside the importer's
    division is held as unknown (nothing about it is revealed), a time more than 10 minutes ahead or
    before the tube was closed is held, and an actor without RUN_ROUNDS over the division is refused."""
    assert submit(district_commander, desk, "scan", "620103198501150012", tube="bulk-f")[0] == 201
    close(district_commander, desk, "bulk-f", "BULK-F")
    tube = Tube.objects.get(barcode="BULK-F")
    with pytest.raises(PermissionDenied):
        bulkload.results_ingest(actor=community_staff, source=b"", path="620103")
    other = next(code for code in ("620103001001", "620103001002") if not tube.path.startswith(code))
    user = other_community_staff if other == "620103001002" else community_staff
    outside = bulkload.results_ingest(actor=user, source=f"BULK-F,positive,Lab,{soon(1)}\n".encode(), path=other)
    held = ResultException.objects.get(batch__path=other)
    assert (outside["held"], held.reason, held.tube, held.path) == (1, "unknown_tube", None, other)
    timed = (
        f"BULK-F,positive,Lab,{(timezone.now() + dt.timedelta(days=1)).isoformat()}\n"
        f"BULK-F,positive,Lab,2026-01-01T08:00:00+08:00\n"
    ).encode()
    counts = bulkload.results_ingest(actor=district_commander, source=timed, path="620103")
    reasons = sorted(ResultException.objects.filter(batch__path="620103").values_list("reason", flat=True))
    assert (counts["applied"], counts["held"], reasons) == (0, 2, ["before_closed", "future_time"])
    assert Tube.objects.get(barcode="BULK-F").result == "" and not PoolFollowUp.objects.exists()
