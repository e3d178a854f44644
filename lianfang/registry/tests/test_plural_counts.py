"""Counts in import results read in English grammar (1 error / 2 errors, 1 row / 2 rows; not
'1 errors'), zh-Hans unchanged: the result sentence (models.import_summary), the batch page's count
line and its progress line."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianfang.registry.models import ImportStatus, import_summary
from lianfang.registry.tests.fixtures.importing import FIXTURES

pytestmark = pytest.mark.django_db


def test_import_summary_counts_in_english_grammar():
    with translation.override("en"):
        assert import_summary(ImportStatus.INVALID, "registry", {"errors": 1}) == (
            "1 error: nothing was written; fix the file and import it again"
        )
        assert import_summary(ImportStatus.INVALID, "registry", {"errors": 2}) == (
            "2 errors: nothing was written; fix the file and import it again"
        )
        assert import_summary(ImportStatus.UNCHANGED, "registry", {"rows": 1}) == (
            "no changes: the 1 row is already in the registry"
        )
        assert import_summary(ImportStatus.UNCHANGED, "registry", {"rows": 4}) == (
            "no changes: all 4 rows are already in the registry"
        )
    with translation.override("zh-hans"):
        assert import_summary(ImportStatus.INVALID, "registry", {"errors": 1}) == (
            "发现 1 处错误：未写入任何数据；请修改文件后重新导入"
        )
        assert import_summary(ImportStatus.UNCHANGED, "registry", {"rows": 1}) == "没有变化：1 行均已在登记中"


def _batch(population, community_staff, **fields):
    from lianfang.registry.importing.batches import import_batch_create
    from lianfang.registry.models import ImportBatch

    batch = import_batch_create(
        actor=community_staff,
        target=population["unit_a"].parent.parent.parent,
        file_name="roster.ods",
        data=(FIXTURES / "roster.ods").read_bytes(),
    )
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)
    return batch


def test_batch_page_counts_one_row_and_one_error(client_for, population, community_staff):
    batch = _batch(
        population, community_staff, status="invalid", counts={"rows": 1, "errors": 1, "warnings": 1}, message=""
    )
    client = client_for(community_staff)
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 error: nothing was written; fix the file and import it again" in page
    assert '<p class="small" data-testid="row-counts">1 row, 1 error, 1 warning</p>' in page
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "发现 1 处错误：未写入任何数据；请修改文件后重新导入" in page
    assert '<p class="small" data-testid="row-counts">共 1 行，1 处错误，1 处提示</p>' in page
    batch.counts = {"rows": 3, "errors": 2, "warnings": 0}
    batch.save(update_fields=["counts"])
    page = client.get(f"/registry/io/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<p class="small" data-testid="row-counts">3 rows, 2 errors, 0 warnings</p>' in page


def test_progress_of_one_row(client_for, population, community_staff):
    batch = _batch(population, community_staff, status="running", phase="validate", progress_done=0, progress_total=1)
    body = client_for(community_staff).get(f"/registry/io/{batch.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en")
    assert "checking: 0 of 1 row<" in body.content.decode()


def test_import_command_counts_one_error_among_many_warnings():
    from types import SimpleNamespace

    from lianfang.registry.management.commands.import_registry import shown_line

    issues = [{"severity": "error"}] + [{"severity": "warning"}] * 24
    batch = SimpleNamespace(issues=issues, report=None)
    with translation.override("en"):
        assert shown_line(batch, {"errors": 1, "warnings": 24}) == (
            "… only the first 20 of the 25 problems are listed above (1 error and 24 warnings in all)"
        )
        assert shown_line(batch, {"errors": 2, "warnings": 1 + 22}) == (
            "… only the first 20 of the 25 problems are listed above (2 errors and 23 warnings in all)"
        )
    with translation.override("zh-hans"):
        assert shown_line(batch, {"errors": 1, "warnings": 24}) == (
            "……以上仅列出全部 25 个问题中的前 20 个（共 1 个错误、24 个警告）"
        )
