"""New-user trial: on the audit page "登记检测结果" was listed twice in the action filter (two codes
shared the label), a resident read "居民 #2", and division codes in a detail were shown raw."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from lianfang.conftest import XIAXIYUAN
from lianfang.core import audit
from lianfang.core.audit_labels import ACTION_LABELS, action_label, detail_items, division_names, object_names
from lianfang.core.models import AuditEntry
from lianfang.core.pii import mask_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_two_action_codes_share_a_label(language):
    with translation.override(language):
        labels = [action_label(code) for code in ACTION_LABELS]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    assert repeated == []


@pytest.mark.parametrize(
    ("language", "results", "test_result"),
    [
        ("zh-hans", "导入实验室检测结果", "登记隔离人员检测结果"),
        ("en", "Lab results imported", "Quarantine test result recorded"),
    ],
)
def test_the_two_test_result_actions_read_apart(district_commander, client_for, language, results, test_result):
    audit.record(actor=district_commander, action="screening.results", division_code=XIAXIYUAN, detail={"applied": 3})
    audit.record(actor=district_commander, action="fieldops.test_result", division_code=XIAXIYUAN)
    page = client_for(district_commander).get("/audit/", HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("zh-hans")
    options = [label for code, label in page.context["form"].fields["action"].choices if code]
    assert results in options and test_result in options
    assert options.count(results) == options.count(test_result) == 1


def test_mask_name():
    assert [mask_name(n) for n in ["张三", "王小芳", "欧阳小明", "Li Na", "张", ""]] == [
        "张*",
        "王*芳",
        "欧**明",
        "L* N*",
        "张",
        "",
    ]


@pytest.mark.parametrize(
    ("language", "object_shown", "detail_shown"),
    [
        ("zh-hans", "居民 张*（#{pk}）", [("地点", "下西园社区（620103001001）, 620103999999")]),
        ("en", "Resident 张* (#{pk})", [("Places", "下西园社区 (620103001001), 620103999999")]),
    ],
)
def test_a_resident_is_masked_and_division_codes_are_named(
    population, district_commander, client_for, language, object_shown, detail_shown
):
    resident = population["张三"]
    audit.record(actor=district_commander, action="view_pii", obj=resident, detail={"field": "phone"})
    audit.record(
        actor=district_commander,
        action="zones.infection_record",
        division_code=XIAXIYUAN,
        detail={"places": [XIAXIYUAN, "620103999999"]},
    )
    page = client_for(district_commander).get("/audit/", HTTP_ACCEPT_LANGUAGE=language)
    translation.activate("zh-hans")
    rows = {row[0].action: row for row in page.context["rows"]}
    _entry, _label, object_label, name, _reason, _detail = rows["view_pii"]
    assert f"{object_label} {name}" == object_shown.format(pk=resident.pk)
    assert rows["zones.infection_record"][5] == detail_shown
    cells = page.content.decode().split('data-testid="audit-object">')[1:]
    shown = [cell.split("</td>")[0] for cell in cells if f"#{resident.pk}）" in cell or f"#{resident.pk})" in cell]
    assert shown and all("张三" not in cell for cell in shown)


def test_names_cost_one_query_per_page_whatever_the_rows(population, district_commander):
    for resident in ("张三", "李四", "王五"):
        audit.record(actor=None, action="view_pii", obj=population[resident], detail={"field": "id"})
    for _ in range(5):
        audit.record(actor=None, action="zones.area_nodes", division_code=XIAXIYUAN, detail={"from": [XIAXIYUAN]})
    entries = list(AuditEntry.objects.filter(action__in=["view_pii", "zones.area_nodes"]))
    assert len(entries) == 8
    with CaptureQueriesContext(connection) as names_queries:
        names = object_names(entries)
    with CaptureQueriesContext(connection) as division_queries:
        divisions = division_names(entries)
    assert len(names_queries) == 1 and len(division_queries) == 1
    assert sorted(names.values()) == sorted(f"{mask_name(n)}（#{population[n].pk}）" for n in ("张三", "李四", "王五"))
    assert divisions == {XIAXIYUAN: f"下西园社区（{XIAXIYUAN}）"}
    # a status change's from/to stay status labels; a code of no loaded division stays as stored
    assert detail_items({"to": "620100000000"}, "zones.controlarea", divisions) == [("新值", "620100000000")]
