"""Screening list import: de-duplication, transfer-out, coarse locations, whole-file validation."""

import datetime as dt

import pytest

from lianfang.fieldops.importers import ScreeningImportError, screening_import
from lianfang.fieldops.models import QuarantineTest, ScreenedPerson, ScreeningImport, TransferOut
from lianfang.fieldops.services.screened import screened_person_create

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat

HEADER = "序号,姓名,身份证号,手机号,来源地,抵达日期,现住址,所属社区,所在区县\n"


def csv_bytes(rows: list[str], encoding: str = "utf-8") -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode(encoding)


@pytest.fixture
def already_listed(population, district_commander):
    return screened_person_create(
        actor=district_commander,
        district=population["h1"].district,
        category="inflow",
        name="",
        resident=population["王五"],
        origin="西安市",
    )


def test_inflow_list_is_deduplicated_and_sorted(population, district_commander, already_listed):
    data = csv_bytes(
        [
            "1,张三,11010519491231002X,13812345678,上海市,2026-11-25,,,",  # a registered resident: their household
            "2,张三,11010519491231002x,,上海市,2026/11/25,,,",  # same person again (lower-case x)
            "3,陈一,620103199001010018,13900000001,西安市,2026-11-26,兰州市城关区张掖路1号,,",  # another district
            "4,林二,620103199002020015,13900000002,成都市,2026-11-26,兰州市,,",  # city only
            "5,何三,620103199003030012,13900000003,北京市,2026-11-27,,下西园社区,",  # a community
            "6,王五,620103195002020017,,西安市,2026-11-20,,,",  # already listed in the district
            "7,吴四,62010319900404001X,,重庆市,2026-11-27,某路2号,,安宁区",  # district column: elsewhere
            "8,郑五,620103199005050017,,武汉市,2026-11-28,七里河区园林小区3号楼,,七里河区",  # a compound by name
        ]
    )
    screening_import(actor=district_commander, division=population["h1"].district, file_name="流入.csv", data=data)
    batch = ScreeningImport.objects.get()
    assert batch.counts == {
        "rows": 8,
        "created": 4,
        "duplicates": 2,
        "transferred_out": 2,
        "needs_verification": 1,
        "exposure_updated": 0,
    }
    assert batch.duplicates == [{"row": 3, "matched": "row 2"}, {"row": 7, "matched": f"#{already_listed.pk}"}]
    people = {p.name: p for p in ScreenedPerson.objects.filter(import_batch=batch)}
    assert set(people) == {"张三", "林二", "何三", "郑五"}
    assert (people["张三"].household, people["张三"].precision, people["张三"].resident) == (
        population["h1"],
        "household",
        population["张三"],
    )
    assert (people["林二"].path, people["林二"].needs_verification, people["林二"].status) == (
        "620103",
        True,
        "pending",
    )
    assert (people["何三"].path, people["何三"].precision) == ("620103001001", "community")
    assert people["郑五"].path == population["compound_b"].code
    assert people["张三"].arrived_on == D("2026-11-25") and people["张三"].origin == "上海市"
    transfers = {t.name: t for t in TransferOut.objects.filter(batch=batch)}
    assert set(transfers) == {"陈一", "吴四"}
    assert transfers["陈一"].destination == "兰州市城关区张掖路1号"
    assert transfers["吴四"].destination == "安宁区 某路2号"
    assert transfers["陈一"].id_masked == "6201**********0018" and transfers["陈一"].row == 4
    # importing the same file again creates nothing new
    again = screening_import(
        actor=district_commander, division=population["h1"].district, file_name="流入.csv", data=data
    )
    assert (len(again.created), len(again.transfers)) == (0, 0)
    assert len(again.duplicates) == 8


def test_gbk_file(population, district_commander):
    data = csv_bytes(["1,何三,620103199003030012,,北京市,2026-11-27,,下西园社区,"], encoding="gbk")
    report = screening_import(
        actor=district_commander, division=population["h1"].district, file_name="gbk.csv", data=data
    )
    assert ScreenedPerson.objects.get(pk=report.created[0]).name == "何三"


def test_bad_rows_refuse_the_whole_file(population, district_commander):
    data = csv_bytes(
        [
            "1,何三,620103199003030012,,北京市,2026-11-27,,下西园社区,",
            "2,错号,620103199003030011,,北京市,2026-11-27,,,",
            "3,错日期,,,北京市,2026-13-45,,,",
            "4,,62010319900404001X,,北京市,,,,",
            "5,未来,,,北京市,2099-01-01,,,",
            "6,坏电话,,12345,北京市,,,,",
        ]
    )
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(actor=district_commander, division=population["h1"].district, file_name="bad.csv", data=data)
    problems = [(row, column, value) for row, column, value, _m in exc.value.problems]
    assert problems == [
        (3, "证件号码", "6201**********0011"),  # masked: problems never show an ID number whole
        (4, "抵达日期", "2026-13-45"),
        (5, "姓名", ""),
        (6, "抵达日期", "2099-01-01"),
        (7, "手机号", "12345"),
    ]
    assert "row 3" in exc.value.messages[0] and "6201**********0011" in exc.value.messages[0]
    assert "620103199003030011" not in " ".join(exc.value.messages)
    assert not ScreenedPerson.objects.exists() and not ScreeningImport.objects.exists()


def test_contact_list_links_index_cases_and_moves_exposures(population, operation, district_commander):
    from lianfang.zones.services import infection_record

    infection = infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=D("2026-11-20"),
        household=population["h3"],
        person_name="病例一",
        propose=False,
    ).infection
    header = "姓名,身份证号,类别,末次接触日期,关联病例,现住址\n"
    first = (
        f"李四,620103198501150012,密接,2026-11-19,{infection.pk},\n"
        f"赵丽,620103198703120022,密接,2026-11-19,{infection.pk},\n"
    )
    screening_import(
        actor=district_commander,
        division=population["h1"].district,
        file_name="密接1.csv",
        data=(header + first).encode(),
    )
    li = ScreenedPerson.objects.get(name="李四")
    assert (li.category, li.status, li.infection, li.last_exposure_on) == (
        "close_contact",
        "centralized",
        infection,
        D("2026-11-19"),
    )
    assert QuarantineTest.objects.filter(person=li, result="pending").count() == 6
    # the next list has 李四 again, met on the 21st: the period now counts from the 21st
    second = f"李四,620103198501150012,密接,2026-11-21,{infection.pk},\n"
    report = screening_import(
        actor=district_commander,
        division=population["h1"].district,
        file_name="密接2.csv",
        data=(header + second).encode(),
    )
    assert report.exposure_updated == [li.pk] and report.created == []
    li.refresh_from_db()
    assert (li.last_exposure_on, li.centralized_until) == (D("2026-11-21"), D("2026-12-05"))


def test_contact_rows_need_their_links(population, district_commander):
    header = "姓名,身份证号,类别,末次接触日期,关联病例,关联密接\n"
    data = (
        header + "李四,620103198501150012,密接,2026-11-19,,\n赵丽,620103198703120022,次密接,2026-11-19,,999\n"
    ).encode()
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(actor=district_commander, division=population["h1"].district, file_name="x.csv", data=data)
    assert [(r, c) for r, c, _v, _m in exc.value.problems] == [(2, "关联病例"), (3, "关联密接")]


def test_import_needs_edit_registry(population, guard):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        screening_import(actor=guard.user, division=population["compound_a"], file_name="x.csv", data=csv_bytes([]))
