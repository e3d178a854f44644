"""City-scale COPY paths (PostgreSQL only): same rules as the per-row services."""

import pytest
from django.db import connection

from lianfang.screening import bulkload
from lianfang.screening.models import PoolFollowUp, ResultException, RoundMember, Sample, Tube
from lianfang.screening.tests.conftest import close, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY paths need PostgreSQL"),
]


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
    assert report == {"lines": 4, "inserted": 2, "rejected": 2}
    assert bulkload.samples_ingest(actor=district_commander, round=rnd, source=csv)["inserted"] == 2  # re-sent
    assert Sample.objects.count() == 4
    assert RoundMember.objects.get(resident=ming).result == "pending"
    results = (
        b"BULK-A,positive,Lab,2026-11-29T10:00:00+08:00\n"
        b"BULK-B,negative,Lab,2026-11-29T10:00:00+08:00\n"
        b"BULK-B,negative,Lab,2026-11-29T10:05:00+08:00\n"
        b"X1,negative,Lab,2026-11-29T10:00:00+08:00\n"
    )
    counts = bulkload.results_ingest(actor=district_commander, source=results, path="620103")
    assert (counts["applied"], counts["held"]) == (2, 2)
    assert sorted(ResultException.objects.values_list("reason", flat=True)) == ["duplicate", "unknown_tube"]
    assert Tube.objects.get(barcode="BULK-A").result == "positive" and PoolFollowUp.objects.count() == 1
    assert RoundMember.objects.get(resident=zhao).result == "negative"
    late = bulkload.results_ingest(
        actor=district_commander, source=b"BULK-A,negative,Lab,2026-11-29T11:00:00+08:00\n", path="620103"
    )
    assert late["held"] == 1 and Tube.objects.get(barcode="BULK-A").result == "positive"
