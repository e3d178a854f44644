# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Findings of a new-user trial of import/export (the CSV export is tests/test_export_csv.py): one id
per element on /registry/io/, zh labels ending with one "：", full-width numbers converted with a
warning, the command's count of what it listed, the rollback's audit detail, Chinese quotes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from lianfang.registry.tests.fixtures.importing import TODAY, english, issues, run_import  # noqa: F401
from lianfang.registry.tests.fixtures.make_fixtures import make_id
from lianfang.registry.tests.test_import_trial import write

pytestmark = pytest.mark.django_db
XIAXIYUAN = "620103001001"
CONVERTED_EN = "full-width characters were converted to ordinary (half-width) ones; check the number"
CONVERTED_ZH = "全角字符已转换为普通（半角）字符，请核对号码"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def element_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def label_texts(html: str) -> list[str]:
    """The text of every <label> (tags inside removed, whitespace collapsed)."""
    return [" ".join(re.sub(r"<[^>]+>", "", text).split()) for text in re.findall(r"<label[^>]*>(.*?)</label>", html)]


# -- 2. one id per element on the import/export page


def test_io_page_ids_are_unique(client_for, population, community_staff):
    html = client_for(community_staff).get("/registry/io/").content.decode()
    ids = element_ids(html)
    assert [i for i in ids if ids.count(i) > 1] == []
    assert {"id_division", "id_export_division", "id_export_format", "id_export_reason"} <= set(ids)
    assert 'name="division"' in html  # the export form still posts ``division``
    for label_for in re.findall(r'<label for="([^"]+)"', html):
        assert label_for in ids


# -- 3. zh labels end with exactly one full-width colon


def test_zh_labels_of_the_io_pages_end_with_one_colon(client_for, population, community_staff):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    client = client_for(community_staff)
    labels = label_texts(client.get("/registry/io/").content.decode())
    assert "仅检查（试运行，不写入数据）：" in labels
    assert "文件格式：" in labels
    for label in labels:
        assert label.endswith("：") and "：：" not in label and label.count("：") == 1, label
    batch = registry_import(
        actor=community_staff,
        target=Division.objects.get(code=XIAXIYUAN),
        path=Path(__file__).parent / "fixtures" / "roster.ods",
        today=TODAY,
    )
    assert batch.status == "committed", batch.message
    html = client.get(f"/registry/io/{batch.pk}/").content.decode()
    rollback = html[html.index('data-testid="rollback-form"') :]
    assert label_texts(rollback)[0] == "撤销事由："
    assert 'name="reason"' in rollback and "required" in rollback


# -- 4. full-width numbers: converted, with a warning naming the value as typed


def fullwidth_roster(tmp_path):
    woman, man, other = make_id("62010319750505100"), make_id("62010319750505101"), make_id("62010319750505103")
    return write(
        tmp_path,
        "全角.csv",
        "小区,楼栋,单元,房号,户联系电话,姓名,证件类型,身份证号,性别,出生日期,电话,监护人身份证号\n"
        + f"阳光小区,1,1,901,{'13800138000'.translate(FULL_WIDTH)},钱八,,{woman.translate(FULL_WIDTH)},女,,"
        + f"{'13900139000'.translate(FULL_WIDTH)},\n"
        + f"阳光小区,1,1,901,,孙九,,{man},男,,13700137000,\n"  # typed in ASCII: no warning
        + f"阳光小区,1,1,901,,钱小九,none,,女,2024-01-01,,{woman.translate(FULL_WIDTH)}\n"
        + f"阳光小区,1,1,902,１３８００１３８００１,周十,,{other},,,,\n",
    ), woman


def test_full_width_numbers_are_converted_with_a_warning(population, tmp_path, run_import):
    from lianfang.registry.models import Resident

    path, woman = fullwidth_roster(tmp_path)
    batch = run_import(path)
    assert issues(batch) == []
    assert issues(batch, "warning") == [
        ("csv", 2, "户联系电话 (E)", "１３８００１３８０００", CONVERTED_EN),
        ("csv", 2, "电话 (K)", "１３９００１３９０００", CONVERTED_EN),
        ("csv", 2, "身份证号 (H)", woman.translate(FULL_WIDTH), CONVERTED_EN),
        ("csv", 4, "监护人身份证号 (L)", woman.translate(FULL_WIDTH), CONVERTED_EN),
        ("csv", 5, "户联系电话 (E)", "１３８００１３８００１", CONVERTED_EN),
    ]
    qian = Resident.objects.get(name="钱八")
    assert (qian.id_number_plain(), qian.phone_plain(), qian.household.phone_plain()) == (
        woman,
        "13900139000",
        "13800138000",
    )
    assert Resident.objects.get(name="钱小九").guardian == qian


def test_full_width_warning_in_chinese_and_masked_on_the_page(population, tmp_path, client_for, community_staff):
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    path, _woman = fullwidth_roster(tmp_path)
    with translation.override("zh-hans"):
        batch = registry_import(
            actor=community_staff, target=Division.objects.get(code=XIAXIYUAN), path=path, dry_run=True, today=TODAY
        )
    assert issues(batch, "warning")[0] == ("csv", 2, "户联系电话（E）", "１３８００１３８０００", CONVERTED_ZH)
    html = client_for(community_staff).get(f"/registry/io/{batch.pk}/").content.decode()
    assert CONVERTED_ZH in html
    assert "１３８****８０００" in html and "１３８００１３８０００" not in html


# -- 5. the command says what it counted: listed vs all, errors vs warnings, where the report is


def many_problems(tmp_path):
    """25 rows with a bad phone (errors) and 3 with a full-width phone (warnings)."""
    rows = [f"阳光小区,1,1,9{n:02d},钱{n},{make_id(f'620103197505051{n:02d}')},,abc\n" for n in range(25)]
    rows += [
        f"阳光小区,1,1,8{n:02d},孙{n},{make_id(f'620103197505052{n:02d}')},,{f'1380013800{n}'.translate(FULL_WIDTH)}\n"
        for n in range(3)
    ]
    return write(tmp_path, "many.csv", "小区,楼栋,单元,房号,姓名,身份证号,性别,电话\n" + "".join(rows))


@pytest.mark.parametrize(
    ("language", "line", "report", "refusal"),
    [
        (
            "en",
            "… only the first 20 of the 28 problems are listed above (25 errors and 3 warnings in all); "
            "the report below lists every one",
            "report: ",
            "{path}: 25 errors, nothing written; error report: ",
        ),
        (
            "zh-hans",
            "……以上仅列出全部 28 个问题中的前 20 个（共 25 个错误、3 个警告）；下面的报告列出全部问题",
            "报告：",
            "{path}：25 个错误，未写入；错误报告：",
        ),
    ],
)
def test_command_summary_says_what_it_counted(population, tmp_path, language, line, report, refusal):
    path = many_problems(tmp_path)
    out = StringIO()
    with translation.override(language), pytest.raises(CommandError) as raised:
        call_command("import_registry", str(path), community=XIAXIYUAN, stdout=out, stderr=StringIO())
    lines = out.getvalue().splitlines()
    listed = [text for text in lines if text.startswith("  ")]
    assert len(listed) == 21
    assert listed[-1] == "  " + line
    assert lines[lines.index(listed[-1]) + 1].startswith(report)
    assert str(raised.value).startswith(refusal.format(path=path))


def test_command_lists_everything_without_a_count_line(population, tmp_path, english):
    path = write(tmp_path, "one.csv", "小区,楼栋,单元,房号,姓名,身份证号,性别,电话\n阳光小区,1,1,901,钱八,,,abc\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_registry", str(path), community=XIAXIYUAN, stdout=out, stderr=StringIO())
    assert "only the first" not in out.getvalue()


# -- 6. the rollback's audit entry: translated keys, counts


def test_rollback_audit_detail_is_labelled_and_counted(population, community_staff):
    from lianfang.core.audit_labels import detail_items
    from lianfang.core.models import AuditEntry
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import import_batch_rollback, registry_import

    batch = registry_import(
        actor=community_staff,
        target=Division.objects.get(code=XIAXIYUAN),
        path=Path(__file__).parent / "fixtures" / "roster.ods",
        today=TODAY,
    )
    created = batch.counts
    import_batch_rollback(actor=community_staff, batch=batch, reason="导错了")
    entry = AuditEntry.objects.filter(action="import_rollback").latest("id")
    assert entry.reason == "导错了"
    households, residents = created["households_created"], created["residents_created"]
    assert households and residents
    assert entry.detail == {
        "removed": {"residents": residents, "households": households},
        "restored": created["households_updated"] + created["residents_updated"],
    }
    restored = entry.detail["restored"]
    with translation.override("zh-hans"):
        assert detail_items(entry.detail) == [
            ("移除", f"居民：{residents}；住户：{households}"),
            ("已恢复", str(restored)),
        ]
    with translation.override("en"):
        assert detail_items(entry.detail) == [
            ("Removed", f"Residents: {residents}; Households: {households}"),
            ("Restored", str(restored)),
        ]


def test_rollback_detail_of_workers_and_of_an_import_that_created_nothing():
    from lianfang.registry.importing.batches import rollback_detail

    assert rollback_detail({"worker": [[1, 3], [7, 7]], "assignment": [[2, 3]]}, 0) == {
        "removed": {"workers": 4, "assignments_created": 2},  # jsonb's order: shorter keys first
        "restored": 0,
    }
    assert list(rollback_detail({"household": [[1, 1]], "resident": [[1, 1]]}, 0)["removed"]) == [
        "residents",
        "households",
    ]
    assert rollback_detail({"household": [], "resident": []}, 5) == {
        "removed": {"residents": 0, "households": 0},
        "restored": 5,
    }


# -- 7. Chinese quotes in the registry's catalogue


def test_registry_catalogue_uses_chinese_quotes():
    import polib

    po = polib.pofile(str(Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    texts = [e.msgstr for e in po if e.msgstr] + [s for e in po for s in e.msgstr_plural.values()]
    assert [t for t in texts if re.search('[「」『』"]', t)] == []
    assert [t for t in texts if t.count("“") != t.count("”")] == []
    assert any("“" in t for t in texts)


# -- the page in a browser: one element per id, labels, CSV export


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_io_page_labels_ids_and_csv_export(login_page, population, community_staff, live_server):
    from lianfang.conftest import screenshot

    page = login_page(community_staff)
    page.goto(f"{live_server.url}/registry/io/")
    duplicates = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicates == []
    assert page.get_by_label("导入到").count() == 1  # each label names one control
    assert page.get_by_label("区划：", exact=True).count() == 1
    assert page.get_by_label("仅检查（试运行，不写入数据）").is_checked() is False
    assert page.locator("label[for=id_dry_run]").inner_text().strip() == "仅检查（试运行，不写入数据）："
    page.get_by_label("文件格式").select_option("csv")
    screenshot(page, "registry-io-export-csv")
    with page.expect_download() as download:
        page.click("[data-testid=export-form] button[type=submit]")
    assert download.value.suggested_filename.startswith(f"registry-{XIAXIYUAN}-")
    assert download.value.suggested_filename.endswith(".csv")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "1101**********002X" in data.decode("utf-8-sig")
