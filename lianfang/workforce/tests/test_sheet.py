"""The daily workforce sheet against a small district counted by hand."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from lianfang.conftest import make_compound
from lianfang.workforce import services
from lianfang.workforce.selectors import SYSTEM
from lianfang.workforce.sheet import COLUMN_KEYS, render_xlsx, workforce_sheet

pytestmark = pytest.mark.django_db

D = dt.date(2022, 3, 27)
COLUMNS = ("communities", "compounds", *COLUMN_KEYS)


@pytest.fixture
def small_district(qilihe):
    """Two streets, three communities with 2 + 1 + 3 compounds, 13 workers (see the expected figures)."""
    from lianfang.divisions.models import Division

    xia = Division.objects.get(code="620103001001")
    shang = Division.objects.get(code="620103001002")
    xihu = Division.objects.get(code="620103002001")
    idle = Division.objects.get(code="620103002002")  # has a compound, nobody deployed: not counted
    xia_1, _ = make_compound(xia, 1, "一号院")
    make_compound(xia, 2, "二号院")
    make_compound(shang, 1, "园林小区")
    xihu_1, _ = make_compound(xihu, 1, "甲")
    make_compound(xihu, 2, "乙")
    make_compound(xihu, 3, "丙")
    make_compound(idle, 1, "丁")
    street = Division.objects.get(code="620103001")
    open_, last = None, dt.date(2022, 3, 26)

    def worker(name, categories, **kw):
        return services.worker_create(actor=None, name=name, categories=categories, base_division=street, **kw)

    def deploy(w, where, start=dt.date(2022, 3, 20), end=open_):
        services.deployment_create(actor=None, worker=w, division=where, starts_on=start, ends_on=end)

    deploy(worker("一", ["community_staff", "party_member"]), xia)
    deploy(worker("二", ["community_staff", "grid_worker"]), xia)
    deploy(worker("三", ["grid_worker"]), xia_1)
    deploy(worker("四", ["city_cadre", "party_member"], sending_organisation="兰州市教育局"), shang)
    deploy(worker("五", ["district_cadre"], sending_organisation="七里河区财政局"), shang, end=last)
    deploy(worker("六", ["district_cadre"], sending_organisation="七里河区财政局"), shang, start=dt.date(2022, 3, 28))
    deploy(worker("七", ["district_cadre"], sending_organisation="七里河区民政局"), xihu, start=D, end=D)
    deploy(worker("八", ["social_work_committee", "veteran"]), xihu_1)
    deploy(worker("九", ["volunteer"]), xihu)
    deploy(worker("十", ["volunteer", "party_member"]), xihu)
    deploy(worker("十一", ["medical_staff"]), xihu)
    moved = worker("十二", ["volunteer"])
    deploy(moved, xia, start=dt.date(2022, 3, 1), end=dt.date(2022, 3, 19))
    deploy(moved, shang)
    worker("十三", ["veteran"])  # never deployed
    return qilihe


# Counted by hand from the fixture's docstring-level list above (communities, compounds, community
# workers, city cadres, district cadres, social work committee, veterans, volunteers, party members, total).
EXPECTED = {
    "620103001001": (1, 2, 3, 0, 0, 0, 0, 0, 1, 3),
    "620103001002": (1, 1, 0, 1, 0, 0, 0, 1, 1, 2),
    "620103001": (2, 3, 3, 1, 0, 0, 0, 1, 2, 5),
    "620103002001": (1, 3, 0, 0, 1, 1, 1, 2, 1, 5),
    "620103002": (1, 3, 0, 0, 1, 1, 1, 2, 1, 5),
    "620103": (3, 6, 3, 1, 1, 1, 1, 3, 3, 10),
}


def _figures(row) -> tuple:
    return (row.communities, row.compounds, *(row.counts[k] for k in COLUMN_KEYS))


def test_sheet_matches_hand_count(small_district):
    sheet = workforce_sheet(user=SYSTEM, division=small_district, on=D)
    got = {sheet.totals.division.code: _figures(sheet.totals)}
    for block in sheet.streets:
        got[block.row.division.code] = _figures(block.row)
        for line in block.communities:
            got[line.division.code] = _figures(line)
    assert got == EXPECTED
    assert sheet.streets_count == 2


def test_sheet_on_another_day(small_district):
    sheet = workforce_sheet(user=SYSTEM, division=small_district, on=dt.date(2022, 3, 28))
    # 七 left on the 27th, 六 arrived on the 28th (上西园).
    assert _figures(sheet.totals) == (3, 6, 3, 1, 1, 1, 1, 3, 3, 10)
    shang = sheet.streets[0].communities[1]
    assert shang.division.code == "620103001002" and shang.counts["district_cadres"] == 1
    march_1 = workforce_sheet(user=SYSTEM, division=small_district, on=dt.date(2022, 3, 1))
    assert _figures(march_1.totals) == (1, 2, 0, 0, 0, 0, 0, 1, 0, 1)  # only 十二, then in 下西园


def test_sentence_in_both_languages(small_district):
    sheet = workforce_sheet(user=SYSTEM, division=small_district, on=D)
    assert sheet.sentence("zh-hans") == (
        "截至2022年3月27日，七里河区2个街道（乡镇）、3个社区（村）共投入社区工作者3名、市级驻守干部1名、"
        "区级驻守干部1名、社工委委员1名、退役军人1名、志愿者3名、党员3名，在6个小区开展工作，合计10人。"
    )
    assert sheet.sentence("en") == (
        "As of March 27, 2022, 七里河区 had 2 streets/towns and 3 communities/villages with 3 community workers, "
        "1 city-level stationed cadre, 1 district-level stationed cadre, 1 social work committee member, 1 veteran, "
        "3 volunteers and 3 party members at work in 6 compounds: 10 people in all."
    )


def test_a_streets_sentence_names_its_communities_not_streets(small_district):
    from lianfang.divisions.models import Division

    street = workforce_sheet(user=SYSTEM, division=Division.objects.get(code="620103001"), on=D)
    assert street.sentence("zh-hans").startswith("截至2022年3月27日，西园街道2个社区（村）共投入")
    assert street.sentence("en").startswith("As of March 27, 2022, 西园街道 had 2 communities/villages with ")


def test_sheet_page_says_the_sentence_in_the_page_language_only(small_district, district_commander, client_for):
    with translation.override(settings.LANGUAGE_CODE):  # the English request leaves English active
        _sheet_sentences(client_for(district_commander))


def _sheet_sentences(client):
    zh = client.get("/workforce/sheet/", {"code": "620103", "on": D.isoformat()}).content.decode()
    assert "截至2022年3月27日" in zh and "As of" not in zh
    en = client.get(
        "/workforce/sheet/", {"code": "620103", "on": D.isoformat()}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "As of March 27, 2022" in en and "1 veteran," in en and "1 veterans" not in en


def test_xlsx_has_the_page_layout(small_district):
    from openpyxl import load_workbook

    sheet = workforce_sheet(user=SYSTEM, division=small_district, on=D)
    ws = load_workbook(io.BytesIO(render_xlsx(sheet))).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert "七里河区" in rows[0][0] and "2022-03-27" in rows[0][0]
    assert len(rows[1]) == 2 + len(COLUMNS)
    order = ["620103001", "620103001001", "620103001002", "620103002", "620103002001", "620103"]
    assert [tuple(r[2:]) for r in rows[2:8]] == [EXPECTED[code] for code in order]
    assert [r[0] or r[1] for r in rows[2:5]] == ["西园街道", "下西园社区", "上西园社区"]
    assert rows[7][0] == "合计"
    assert rows[-2][0] == sheet.sentence("zh-hans") and rows[-1][0] == sheet.sentence("en")


def test_command_formats(small_district, tmp_path):
    out = io.StringIO()
    call_command("workforce_sheet", "--code", "620103", "--date", "2022-03-27", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["totals"]["total"] == 10 and data["totals"]["streets"] == 2
    assert data["streets"][0]["community_rows"][0]["community_workers"] == 3
    assert data["sentence"]["en"].startswith("As of March 27, 2022")
    out = io.StringIO()
    call_command("workforce_sheet", "--code", "620103", "--date", "2022-03-27", "--format", "text", stdout=out)
    text = out.getvalue()
    total_line = next(line for line in text.splitlines() if line.startswith("合计"))
    assert re.findall(r"\d+", total_line) == [str(n) for n in EXPECTED["620103"]]
    target = tmp_path / "sheet.xlsx"
    call_command(
        "workforce_sheet",
        "--code",
        "620103001",
        "--date",
        "2022-03-27",
        "--format",
        "xlsx",
        "--output",
        str(target),
        stdout=io.StringIO(),
    )
    assert target.read_bytes()[:2] == b"PK"
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("workforce_sheet", "--code", "620103", "--date", "27/03/2022", stdout=io.StringIO())


def test_sheet_page_links_lead_to_the_counted_lists(small_district, district_commander, client_for):
    client = client_for(district_commander)
    response = client.get("/workforce/sheet/", {"code": "620103", "on": "2022-03-27"})
    assert response.status_code == 200
    html = response.content.decode()
    for code, figures in EXPECTED.items():
        suffix = "-total" if code == "620103" else ""
        for key, expected in zip(COLUMN_KEYS, figures[2:], strict=True):
            match = re.search(rf'href="([^"]+)" data-testid="cell-{code}-{key}{suffix}">(\d+)<', html)
            assert match, (code, key)
            assert int(match.group(2)) == expected
            listed = client.get(match.group(1).replace("&amp;", "&"))
            count = re.search(r'data-testid="workers-count">(\d+)<', listed.content.decode())
            assert int(count.group(1)) == expected, (code, key, match.group(1))
    units = client.get("/workforce/sheet/units/", {"code": "620103", "on": "2022-03-27", "level": 6})
    assert re.search(r'data-testid="units-count">6<', units.content.decode())
    units = client.get("/workforce/sheet/units/", {"code": "620103", "on": "2022-03-27", "level": 5})
    assert re.search(r'data-testid="units-count">3<', units.content.decode())
    export = client.get("/workforce/sheet/export/", {"code": "620103", "on": "2022-03-27"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


def test_sheet_page_scope_and_budget(
    small_district, community_staff, outsider, client_for, django_assert_max_num_queries
):
    client = client_for(community_staff)
    with django_assert_max_num_queries(12):
        response = client.get("/workforce/sheet/", {"on": "2022-03-27"})
    assert response.status_code == 200
    assert b'data-testid="cell-620103001001-total-total">3<' in response.content
    assert client.get("/workforce/sheet/", {"code": "620103", "on": "2022-03-27"}).status_code == 404
    client = client_for(outsider)
    assert client.get("/workforce/sheet/", {"code": "620103"}).status_code == 404
    assert client.get("/workforce/sheet/units/", {"code": "620103"}).status_code == 404
    assert client.get("/workforce/sheet/export/", {"code": "620103"}).status_code == 404
    assert client.get("/workforce/sheet/", {"code": "62x"}).status_code == 400


def _volunteer_of(compound_name: str):
    """A signed-in volunteer whose role covers only the compound ``compound_name`` of 下西园社区."""
    from lianfang.accounts.models import RoleAssignment, User
    from lianfang.divisions.models import Division

    compound = Division.objects.get(parent__code="620103001001", name=compound_name)
    user = User.objects.create_user(username="volunteer", password="x", display_name="志愿者")  # noqa: S106
    RoleAssignment.objects.create(user=user, role="volunteer", division=compound, starts_on=dt.date(2020, 1, 1))
    return user


def test_volunteers_sheet_names_their_part_and_counts_it_secretarys_the_community(
    small_district, community_staff, client_for
):
    """A volunteer of 一号院 opens the sheet of 下西园社区 (their compound's community): the title, page
    heading and sentence name 一号院 in 下西园社区, and the figures count only 一号院 (三, a grid worker,
    in its one compound); the community secretary's sheet names 下西园社区 and counts all of it."""
    from openpyxl import load_workbook

    volunteer = _volunteer_of("一号院")
    mine = workforce_sheet(user=volunteer, division=_xia(), on=D)
    assert [d.short_name for d in mine.parts] == ["一号院"]
    assert _figures(mine.totals) == (1, 1, 1, 0, 0, 0, 0, 0, 0, 1)
    with translation.override("en"):
        assert mine.counted_name == "一号院 in 下西园社区"
        assert mine.sentence().startswith("As of March 27, 2022, 一号院 in 下西园社区 had 1 community worker, 0 ")
        assert mine.sentence().endswith("at work in 1 compound: 1 person in all.")
    with translation.override("zh-hans"):
        title = load_workbook(io.BytesIO(render_xlsx(mine))).active["A1"].value
        assert title == "工作力量日报表 — 下西园社区一号院 — 2022-03-27"
        assert mine.sentence().startswith("截至2022年3月27日，下西园社区一号院共投入社区工作者1名")
        assert "街道" not in mine.sentence() and "社区（村）" not in mine.sentence()

    secretary = workforce_sheet(user=community_staff, division=_xia(), on=D)
    assert secretary.parts is None
    assert _figures(secretary.totals) == EXPECTED["620103001001"]
    with translation.override("zh-hans"):
        assert secretary.counted_name == "下西园社区"
        assert secretary.sentence().startswith("截至2022年3月27日，下西园社区共投入社区工作者")
        assert "个街道" not in secretary.sentence() and "个社区" not in secretary.sentence()
        title = load_workbook(io.BytesIO(render_xlsx(secretary))).active["A1"].value
        assert title == "工作力量日报表 — 下西园社区 — 2022-03-27"
    assert secretary.as_dict()["parts"] is None
    assert mine.as_dict()["parts"] == [{"code": mine.parts[0].code, "name": "一号院"}]


def test_volunteers_sheet_page_and_export(small_district, community_staff, client_for):
    volunteer = _volunteer_of("一号院")
    client = client_for(volunteer)
    page = client.get("/workforce/sheet/", {"on": D.isoformat()}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'data-testid="sheet-division">一号院 in 下西园社区<', html)
    assert 'data-testid="sheet-part"' in html
    assert b'data-testid="cell-620103001001-total-total">1<' in page.content
    units = client.get("/workforce/sheet/units/", {"code": "620103001001", "on": D.isoformat(), "level": 6})
    assert re.search(r'data-testid="units-count">1<', units.content.decode())  # the compounds figure's list
    export = client.get("/workforce/sheet/export/", {"code": "620103001001", "on": D.isoformat()})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(export.content)).active
    assert "下西园社区一号院" in ws["A1"].value
    secretary = client_for(community_staff).get("/workforce/sheet/", {"on": D.isoformat()})
    html = secretary.content.decode()
    assert re.search(r'data-testid="sheet-division">下西园社区<', html) and 'data-testid="sheet-part"' not in html
    assert b'data-testid="cell-620103001001-total-total">3<' in secretary.content


def _xia():
    from lianfang.divisions.models import Division

    return Division.objects.get(code="620103001001")
