"""Screening list import inside the importer's scope: rows naming a place outside it are refused
(row, column, value), rows naming no place are filed at the import's own division and stay visible
to the importer; ID and phone numbers are masked in every problem; names with markup are refused."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lianfang.divisions.models import Division
from lianfang.fieldops.importers import ScreeningImportError, screening_import
from lianfang.fieldops.models import ScreenedPerson, ScreeningImport, TransferOut

pytestmark = pytest.mark.django_db

HEADER = "姓名,身份证号,手机号,类别,现住址,所属社区\n"
SCRIPT = "<script>alert(1)</script>"


def csv_bytes(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.fixture
def grid_worker(population):
    """A grid worker whose scope is 阳光小区 (compound_a, in 下西园社区)."""
    from lianfang.accounts.models import RoleAssignment, User

    user = User.objects.create_user(username="grid", password="correct-horse-battery", display_name="网格员小周")
    RoleAssignment.objects.create(
        user=user, role="grid_worker", division=population["compound_a"], starts_on=dt.date(2020, 1, 1)
    )
    return user


def other_street_community() -> Division:
    """A community of another street of Qilihe (not 西园街道)."""
    return Division.objects.get(code="620103002001")


def refused(actor, division, data) -> list[tuple[int, str, str, str]]:
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(actor=actor, division=division, file_name="名单.csv", data=data)
    assert not ScreenedPerson.objects.exists() and not ScreeningImport.objects.exists()
    assert not TransferOut.objects.exists()
    return exc.value.problems


def test_grid_worker_row_naming_another_community_is_refused(population, grid_worker):
    compound_a = population["compound_a"]
    other = other_street_community().short_name
    problems = refused(
        grid_worker,
        compound_a,
        csv_bytes(
            "何三,620103199003030012,,流入,,阳光小区",
            "林二,620103199002020015,,流入,,上西园社区",
            "陈一,620103199001010018,,流入,兰州市七里河区园林小区3号楼,",
            f"周七,620103199005050017,,流入,,{other}",
        ),
    )
    assert problems == [
        (3, "所属社区", "上西园社区", "“上西园社区” is not inside your area (阳光小区)"),
        (4, "现住址", "兰州市七里河区园林小区3号楼", "“园林小区” is not inside your area (阳光小区)"),
        (5, "所属社区", other, f"“{other}” is not inside your area (阳光小区)"),
    ]


def test_community_staff_row_naming_another_community_or_street_is_refused(population, community_staff):
    xiaxiyuan = Division.objects.get(code="620103001001")
    other = other_street_community().short_name
    problems = refused(
        community_staff,
        xiaxiyuan,
        csv_bytes("林二,620103199002020015,,流入,,上西园社区", f"周七,620103199005050017,,流入,{other}2号,"),
    )
    assert problems == [
        (2, "所属社区", "上西园社区", "“上西园社区” is not inside your area (下西园社区)"),
        (3, "现住址", f"{other}2号", f"“{other}” is not inside your area (下西园社区)"),
    ]


def test_community_staff_page_names_the_row_in_chinese(population, community_staff, client_for):
    response = client_for(community_staff).post(
        reverse("fieldops:people_import") + "?within=620103001001",
        {
            "file": SimpleUploadedFile("名单.csv", csv_bytes("何三,,,流入,,下西园社区", "林二,,,流入,,上西园社区")),
            "category": "inflow",
            "within": "620103001001",
        },
    )
    assert response.status_code == 200
    assert response.context["problems"] == [(3, "所属社区", "上西园社区", "“上西园社区”不在您的辖区（下西园社区）内")]
    assert "“上西园社区”不在您的辖区（下西园社区）内" in response.content.decode()
    assert not ScreenedPerson.objects.exists()


def test_rows_without_a_place_are_filed_at_the_import_division(population, grid_worker, community_staff):
    compound_a = population["compound_a"]
    xiaxiyuan = Division.objects.get(code="620103001001")
    # the grid worker: no place, the compound's own community, a resident of another community
    report = screening_import(
        actor=grid_worker,
        division=compound_a,
        file_name="网格.csv",
        data=csv_bytes(
            "何三,620103199003030012,,流入,兰州市,", "林二,,,流入,,下西园社区", "王五,620103195002020017,,流入,,"
        ),
    )
    people = ScreenedPerson.objects.filter(pk__in=report.created)
    assert sorted((p.name, p.path, p.needs_verification, p.precision) for p in people) == [
        ("何三", compound_a.code, True, "city"),
        ("林二", compound_a.code, True, "city"),
        ("王五", compound_a.code, True, "city"),
    ]
    assert set(ScreenedPerson.objects.visible_to(grid_worker).filter(pk__in=report.created)) == set(people)
    # community staff: no place at all, and a compound of their community
    report = screening_import(
        actor=community_staff,
        division=xiaxiyuan,
        file_name="社区.csv",
        data=csv_bytes("周七,620103199005050017,,流入,,", "吴四,62010319900404001X,,流入,阳光小区5号楼,"),
    )
    people = {p.name: p for p in ScreenedPerson.objects.filter(pk__in=report.created)}
    assert (people["周七"].path, people["周七"].needs_verification) == (xiaxiyuan.code, True)
    assert (people["吴四"].path, people["吴四"].precision) == (compound_a.code, "community")
    assert ScreenedPerson.objects.visible_to(community_staff).filter(pk__in=report.created).count() == 2


def test_numbers_are_masked_in_the_problems_and_on_the_page(population, district_commander, client_for):
    data = csv_bytes("错号,110105200203280019,,流入,,", "坏电话,,1380013800,流入,,")
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(actor=district_commander, division=population["h1"].district, file_name="x.csv", data=data)
    assert [(r, c, v) for r, c, v, _m in exc.value.problems] == [
        (2, "证件号码", "1101**********0019"),
        (3, "手机号", "13******00"),
    ]
    text = " ".join(exc.value.messages) + " ".join(m for *_x, m in exc.value.problems)
    assert "110105200203280019" not in text and "1380013800" not in text
    response = client_for(district_commander).post(
        reverse("fieldops:people_import") + "?within=620103",
        {"file": SimpleUploadedFile("x.csv", data), "category": "inflow"},
    )
    html = response.content.decode()
    assert "1101**********0019" in html
    assert "110105200203280019" not in html and "1380013800" not in html
    assert not ScreenedPerson.objects.exists()


def test_a_name_with_markup_is_refused(population, district_commander, client_for):
    data = csv_bytes(f"{SCRIPT},,,流入,,", "张\x07三,,,流入,,")
    problems = refused(district_commander, population["h1"].district, data)
    message = "not a plausible name: angle brackets and control characters are not allowed"
    assert problems == [(2, "姓名", SCRIPT, message), (3, "姓名", "张\x07三", message)]
    response = client_for(district_commander).post(
        reverse("fieldops:people_import") + "?within=620103",
        {"file": SimpleUploadedFile("x.csv", data), "category": "inflow"},
    )
    assert SCRIPT not in response.content.decode() and "&lt;script&gt;" in response.content.decode()
    # the form refuses it too
    response = client_for(district_commander).post(
        reverse("fieldops:person_new") + "?within=620103", {"category": "inflow", "name": SCRIPT, "division": ""}
    )
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert not ScreenedPerson.objects.exists()


def test_a_row_the_service_refuses_is_a_problem_not_a_crash(population, operation, district_commander):
    from lianfang.zones.services import infection_record

    infection = infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=dt.date(2026, 11, 20),
        household=population["h3"],
        person_name="病例一",
        propose=False,
    ).infection
    data = (
        "姓名,身份证号,类别,末次接触日期,关联病例\n"
        f"李四,620103198501150012,密接,2026-11-19,{infection.pk}\n"
        f"赵丽,620103198703120022,密接,2026-10-01,{infection.pk}\n"
    ).encode()
    problems = refused(district_commander, population["h1"].district, data)
    assert [(r, c, v) for r, c, v, _m in problems] == [(3, "末次暴露日期", "2026-10-01")]
    assert "before the contact window" in problems[0][3]


def test_a_later_exposure_of_a_contact_listed_elsewhere_is_refused(
    population, operation, district_commander, community_staff
):
    from lianfang.fieldops.services.screened import screened_person_create
    from lianfang.zones.services import infection_record

    infection = infection_record(
        actor=district_commander,
        operation=operation,
        positive_sample_on=dt.date(2026, 11, 20),
        household=population["h3"],
        person_name="病例一",
        propose=False,
    ).infection
    listed = screened_person_create(
        actor=district_commander,
        district=population["h1"].district,
        category="close_contact",
        name="",
        resident=population["王五"],  # 上西园
        infection=infection,
        last_exposure_on=dt.date(2026, 11, 19),
    )
    data = (
        f"姓名,身份证号,类别,末次接触日期,关联病例\n王五,620103195002020017,密接,2026-11-21,{infection.pk}\n".encode()
    )
    with pytest.raises(ScreeningImportError) as exc:
        screening_import(
            actor=community_staff,
            division=Division.objects.get(code="620103001001"),
            file_name="密接.csv",
            data=data,
        )
    assert exc.value.problems == [
        (
            2,
            "末次暴露日期",
            "2026-11-21",
            f"already listed as #{listed.pk} outside your area (下西园社区): record it there",
        )
    ]
    listed.refresh_from_db()
    assert listed.last_exposure_on == dt.date(2026, 11, 19)
    assert not ScreeningImport.objects.exists()
