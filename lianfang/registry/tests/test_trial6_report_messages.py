# ruff: noqa: F811 (pytest fixtures imported from fixtures/importing.py)
"""Validation-report findings of the new-user trial with bad roster files: every error of a row is
reported together (a sex/ID mismatch hid the rest), a bad sex or date gives one error naming the value
(not a second "required"), "not one of the accepted values" lists them in the reader's language, a file
of the wrong kind names the required columns it lacks and the kind it looks like, and the nearest place
names are joined in the reader's language (、 in Chinese). Checked in the stored issues, the command
line and the downloadable XLSX error report."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.text import capfirst
from openpyxl import load_workbook

from lianfang.registry.tests.fixtures.importing import FIXTURES, TODAY, XIAXIYUAN, english, issues  # noqa: F401
from lianfang.registry.tests.test_import_trial import write

pytestmark = pytest.mark.django_db
MAN = "620103197505051017"  # 1975-05-05, male
BAD_CHECK = "620103197505051010"  # check character wrong
FULL_HEADER = "小区,楼栋,单元,房号,户联系电话,姓名,证件类型,身份证号,性别,出生日期,电话,与户主关系,居住状态,独居老人\n"
BAD_PHONE = "not a phone number: digits only (spaces, dashes, brackets and a leading +86 may be used)"
SEX = {
    "en": "Sex “X” is not one of the accepted values (accepted: Male, Female, M, F)",
    "zh-hans": "性别“X”不是可接受的取值（可用：男、女、M、F）",
}
DATE = {
    "en": "“2023-13-45” is not a date (use YYYY-MM-DD)",
    "zh-hans": "“2023-13-45”不是日期（请用 YYYY-MM-DD 格式）",
}
COLUMN = {  # the column labels of FULL_HEADER's sex, birth date and ID number in each language
    "en": ("性别 (I)", "出生日期 (J)", "身份证号 (H)"),
    "zh-hans": ("性别（I）", "出生日期（J）", "身份证号（H）"),
}
BAD_ID = {"en": "Check character does not match (GB 11643-1999)", "zh-hans": "校验码不符（GB 11643-1999）"}
ACCEPTED = {
    "en": {
        "elderly_alone": "Elderly living alone “也许” is not one of the accepted values (accepted: yes, no, blank)",
        "relation": "Relation to head “妻妾” is not one of the accepted values (accepted: Head of household, Spouse, "
        "Child, Parent, Grandchild, Other)",
        "residence_status": "Residence status “外星” is not one of the accepted values (accepted: Registered "
        "resident (户籍), Inflow resident (流入), Temporarily away (外出))",
        "document_type": "Document type “身份” is not one of the accepted values (accepted: Resident identity card, "
        "Passport, Mainland travel permit for Hong Kong and Macao residents, Mainland travel permit for Taiwan "
        "residents, Foreign permanent resident ID card, Other document, No document (young child, with guardian))",
    },
    "zh-hans": {
        "elderly_alone": "独居老人“也许”不是可接受的取值（可用：是、否、留空）",
        "relation": "与户主关系“妻妾”不是可接受的取值（可用：户主、配偶、子女、父母、孙子女、其他）",
        "residence_status": "居住状态“外星”不是可接受的取值（可用：户籍居民、流入人员、临时外出）",
        "document_type": "证件类型“身份”不是可接受的取值（可用：居民身份证、护照、港澳居民来往内地通行证、"
        "台湾居民来往大陆通行证、外国人永久居留身份证、其他证件、无证件（婴幼儿，随监护人））",
    },
}


def import_in(language: str, path, *, kind: str = "registry"):
    """A dry run of ``path`` into 下西园社区 with the reasons in ``language``: the finished ImportBatch."""
    from lianfang.divisions.models import Division
    from lianfang.registry.importing.batches import registry_import

    with translation.override(language):
        return registry_import(
            actor=None, target=Division.objects.get(code=XIAXIYUAN), path=path, dry_run=True, today=TODAY, kind=kind
        )


def command_lines(language: str, path, **options) -> list[str]:
    """The problem lines ``import_registry --dry-run`` prints for ``path`` in ``language`` (it fails)."""
    out = StringIO()
    with translation.override(language), pytest.raises(CommandError):
        call_command(
            "import_registry",
            str(path),
            community=XIAXIYUAN,
            dry_run=True,
            no_progress=True,
            stdout=out,
            stderr=StringIO(),
            **options,
        )
    return [line.strip() for line in out.getvalue().splitlines() if line.startswith("  ")]


def report_problems(batch) -> list[tuple]:
    """The rows of the XLSX error report's problem sheet (its header row excluded)."""
    wb = load_workbook(batch.report.path, read_only=True)
    return list(wb.worksheets[-1].iter_rows(values_only=True))[1:]


def report_errors(batch) -> dict[int, str]:
    """The Errors column of the report's copy of the file's sheet, by row number."""
    wb = load_workbook(batch.report.path, read_only=True)
    return {n: row[-2] for n, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)}


# -- 1. a sex/ID-number mismatch no longer hides the row's other errors


def test_every_error_of_a_row_with_a_sex_mismatch_is_reported(population, tmp_path, english):
    path = write(
        tmp_path, "row.csv", FULL_HEADER + f"阳光小区,1,1,901,123,钱八,,{MAN},女,,1380013800x,妻妾,外星,也许\n"
    )
    batch = import_in("en", path)
    assert issues(batch) == [
        ("csv", 2, "户联系电话 (E)", "123", "not a valid Chinese phone number"),
        ("csv", 2, "电话 (K)", "1380013800x", BAD_PHONE),
        ("csv", 2, "性别 (I)", "女", "sex Female disagrees with the ID number (Male)"),
        ("csv", 2, "与户主关系 (L)", "妻妾", ACCEPTED["en"]["relation"]),
        ("csv", 2, "居住状态 (M)", "外星", ACCEPTED["en"]["residence_status"]),
        ("csv", 2, "独居老人 (N)", "也许", ACCEPTED["en"]["elderly_alone"]),
    ]


# -- 2, 3. a bad sex or date: one error naming the value, never a second "required"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_bad_sex_and_date_give_one_error_each_naming_the_value(population, tmp_path, language):
    path = write(
        tmp_path,
        "sex.csv",
        FULL_HEADER
        + f"阳光小区,1,1,901,,钱八,,{BAD_CHECK},X,2023-13-45,,,,\n"  # the ID number cannot give sex and date
        + "阳光小区,1,1,902,,钱九,护照,E1234567,X,2023-13-45,,,,\n"  # a passport gives neither
        + f"阳光小区,1,1,903,,钱十,,{MAN},X,2023-13-45,,,,\n",  # a valid ID number gives both
    )
    sex, date, id_number = COLUMN[language]
    batch = import_in(language, path)
    assert issues(batch) == [
        ("csv", 2, sex, "X", SEX[language]),
        ("csv", 2, date, "2023-13-45", DATE[language]),
        ("csv", 2, id_number, BAD_CHECK, BAD_ID[language]),
        ("csv", 3, sex, "X", SEX[language]),
        ("csv", 3, date, "2023-13-45", DATE[language]),
        ("csv", 4, sex, "X", SEX[language]),
        ("csv", 4, date, "2023-13-45", DATE[language]),
    ]
    # the downloadable report says the same, in the same language
    assert [row[2:] for row in report_problems(batch)] == [(r, c, v, m) for _s, r, c, v, m in issues(batch)]
    colon = {"en": ": ", "zh-hans": "："}[language]
    between = {"en": "; ", "zh-hans": "；"}[language]
    assert report_errors(batch)[3] == f"{sex}{colon}{SEX[language]}{between}{date}{colon}{DATE[language]}"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_command_prints_the_single_messages(population, tmp_path, language):
    path = write(tmp_path, "sex.csv", FULL_HEADER + "阳光小区,1,1,902,,钱九,护照,E1234567,X,2023-13-45,,,,\n")
    sex, date, _id_number = COLUMN[language]
    error, colon = {"en": ("error", ": "), "zh-hans": ("错误", "：")}[language]
    assert command_lines(language, path)[:2] == [
        f"{error}{colon}csv!2 {sex} 'X'{colon}{SEX[language]}",
        f"{error}{colon}csv!2 {date} '2023-13-45'{colon}{DATE[language]}",
    ]


def test_a_bad_start_date_of_a_worker_names_the_value(population, tmp_path, english):
    path = write(
        tmp_path,
        "workers.csv",
        "姓名,人员类别,所属单位,包保层级,包保对象,开始日期\n钱八,网格员,下西园社区,2,阳光小区,2023-13-45\n",
    )
    batch = import_in("en", path, kind="workers")
    assert issues(batch) == [("csv", 2, "开始日期 (F)", "2023-13-45", DATE["en"])]


# -- 4. "not one of the accepted values" lists them, in the reader's language, for every choice column


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_unaccepted_values_list_the_accepted_ones(population, tmp_path, language):
    path = write(
        tmp_path,
        "choices.csv",
        FULL_HEADER + f"阳光小区,1,1,901,,钱八,身份,{MAN},X,,,妻妾,外星,也许\n",
    )
    batch = import_in(language, path)
    reasons = {column.split("（")[0].split(" (")[0]: reason for _s, _r, column, _v, reason in issues(batch)}
    assert reasons == {
        "证件类型": ACCEPTED[language]["document_type"],
        "性别": SEX[language],
        "与户主关系": ACCEPTED[language]["relation"],
        "居住状态": ACCEPTED[language]["residence_status"],
        "独居老人": ACCEPTED[language]["elderly_alone"],
    }


# -- 5. a file of the wrong kind names the required columns it lacks and the kind it looks like

WRONG_KIND = {
    "en": {
        "workers": "the file looks like a roster of “Workers and responsibility assignments”, not of “Households "
        "and residents”: choose that kind of import",
        "registry": "the file looks like a roster of “Households and residents”, not of “Workers and "
        "responsibility assignments”: choose that kind of import",
        "compound": "required column Compound/village group is missing",
        "room": "required column Room / house number is missing",
        "worker columns": "no sheet has a header row with the required columns; missing: Categories, Belongs to",
        "any columns": "no sheet has a header row with the required columns; missing: Compound/village group, "
        "Room / house number, Name, ID number",
    },
    "zh-hans": {
        "workers": "该文件看起来是“工作人员与包保”名单，而不是“住户登记”名单：请改选对应的导入类型",
        "registry": "该文件看起来是“住户登记”名单，而不是“工作人员与包保”名单：请改选对应的导入类型",
        "compound": "缺少必填列“小区/村民小组”",
        "room": "缺少必填列“房号/门牌号”",
        "worker columns": "没有任何工作表包含必填列的表头；缺少：人员类别、所属单位",
        "any columns": "没有任何工作表包含必填列的表头；缺少：小区/村民小组、房号/门牌号、姓名、证件号码",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_workers_file_imported_as_households_says_so(population, language):
    text = WRONG_KIND[language]
    label = {"en": ("Compound/village group", "Room / house number"), "zh-hans": ("小区/村民小组", "房号/门牌号")}[
        language
    ]
    batch = import_in(language, FIXTURES / "workers.xlsx")
    assert issues(batch) == [
        ("", 0, "", "", text["workers"]),
        ("workers", 1, label[0], "", text["compound"]),
        ("workers", 1, label[1], "", text["room"]),
    ]
    errors = [row[5] for row in report_problems(batch) if row[0] in ("Error", "错误")]
    assert errors == [capfirst(text["workers"]), capfirst(text["compound"]), capfirst(text["room"])]  # sentences


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_households_file_imported_as_workers_says_so(population, language):
    text = WRONG_KIND[language]
    batch = import_in(language, FIXTURES / "roster.ods", kind="workers")
    assert issues(batch) == [("", 0, "", "", text["registry"]), ("", 0, "", "", text["worker columns"])]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_random_spreadsheet_names_the_missing_columns(population, tmp_path, language):
    text = WRONG_KIND[language]
    path = write(tmp_path, "accounts.csv", "日期,金额,备注\n2024-01-01,3,午餐\n")
    batch = import_in(language, path)
    assert issues(batch) == [("", 0, "", "", text["any columns"])]
    error = {"en": "error: ", "zh-hans": "错误："}[language]
    no_header = {
        "en": "warning: sheet csv: No header row found in this sheet; sheet ignored",
        "zh-hans": "提示：工作表 csv：本工作表没有找到表头行，已忽略",
    }[language]
    assert command_lines(language, path) == [error + capfirst(text["any columns"]), no_header]
    workers = command_lines(language, FIXTURES / "workers.xlsx")
    assert workers[0] == error + capfirst(text["workers"])


# -- 6. the nearest place names are joined in the reader's language


@pytest.mark.parametrize(
    ("language", "column", "reason"),
    [
        ("en", "单元 (C)", "unknown unit; nearest: 2单元, 1单元"),
        ("zh-hans", "单元（C）", "单元不存在；最接近的是：2单元、1单元"),
    ],
)
def test_nearest_place_names_are_listed_in_the_readers_language(population, tmp_path, language, column, reason):
    path = write(tmp_path, "unit.csv", f"小区,楼栋,单元,房号,姓名,身份证号\n阳光小区,1,3单元,901,钱八,{MAN}\n")
    batch = import_in(language, path)
    assert issues(batch) == [("csv", 2, column, "3单元", reason)]
