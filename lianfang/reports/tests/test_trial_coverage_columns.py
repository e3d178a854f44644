"""New-user trial: the coverage columns did not add up — a person whose tube was invalid (re-sampling)
and people awaiting a home visit were in no column. Every expected person is now in exactly one
column (documents.coverage_columns), on the overview (the round's line and the places table) and in
the daily report's testing table, with real screening data."""

import re

import pytest
from django.urls import reverse

from lianfang.reports import documents, overview
from lianfang.reports.tests.conftest import XIYUAN, fill_tube

pytestmark = pytest.mark.django_db

KEYS = ["negative", "positive", "pending", "invalid", "exempt", "home_visit_open", "missed"]


@pytest.fixture
def with_invalid(screening_scene, district_commander):
    """The screening scene plus 王芳's single tube reported invalid (re-sampling)."""
    from lianfang.screening.services.results import ResultLine, results_record

    s = screening_scene
    fill_tube(district_commander, s["desk"], [s["王芳"]], "tube-0003", "I-0003")
    results_record(
        actor=district_commander,
        lines=[ResultLine(line=1, barcode="I-0003", value="invalid", lab="市疾控")],
        path=XIYUAN,
    )
    return s


def numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


def test_the_overview_columns_add_up_to_expected(with_invalid, district_commander, client_for):
    from lianfang.divisions.models import Division
    from lianfang.screening.models import RoundMember

    members = RoundMember.objects.filter(round=with_invalid["round"], removed=False)
    assert members.filter(result="invalid").count() == 1
    data = overview.build(user=district_commander, division=Division.objects.get(code=XIYUAN))
    rnd = data["round"]["round"]
    assert rnd["expected"] == members.count()
    assert sum(rnd[k] for k in KEYS) == rnd["expected"]
    assert rnd["invalid"] == 1
    page = client_for(district_commander).get(reverse("reports:overview"), {"code": XIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    parts = page.context["parts"]
    assert [key for key, _label, _n in parts["coverage"]] == KEYS
    assert sum(n for _key, _label, n in parts["coverage"]) == rnd["expected"]
    html = page.content.decode()
    line = re.search(r'data-testid="round-coverage">(.*?)</p>', html, re.S).group(1)
    assert "Invalid: re-sampling" in line and "Home visit pending" in line
    assert sum(numbers(re.sub("<[^>]+>", " ", line))) == rnd["expected"]
    places = parts["places"]
    keys = [c.key for c in places.columns]
    assert keys == ["place", "expected", *KEYS, "percent"]
    assert len(places.rows) == 2
    for row in places.rows:
        assert sum(row[2:-1]) == row[1], row
    assert sum(row[1] for row in places.rows) == rnd["expected"]


def test_the_daily_testing_table_adds_up_to_expected(with_invalid, district_commander, client_for):
    page = client_for(district_commander).get(reverse("reports:daily"), {"code": XIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    report = page.context["report"]
    table = next(t for t in documents.daily_document(report, language="en").tables if str(t.title) == "Testing")
    assert [c.key for c in table.columns] == ["name", "expected", *KEYS, "percent"]
    assert len(table.rows) == 1
    row = table.rows[0]
    assert row[1] == 10 and sum(row[2:-1]) == row[1]
    assert row[2 + KEYS.index("invalid")] == 1


def test_the_communities_source_adds_up_to_expected(with_invalid, district_commander):
    from lianfang.divisions.models import Division
    from lianfang.reports import sources

    rows = sources.get("communities").rows(
        user=district_commander, division=Division.objects.get(code=XIYUAN), day=with_invalid["day"]
    )
    assert sum(r["round_expected"] for r in rows) == 10
    for r in rows:
        parts = r["round_sampled"] + r["round_exempt"] + r["round_home_visit_open"] + r["round_missed"]
        assert parts == r["round_expected"], r
