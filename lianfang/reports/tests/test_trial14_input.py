"""New-user trial 14: the reports read a division code and a date typed with a Chinese input method
(full-width digits), answer a code they cannot use with a 400 naming ``code`` and the value (pages
and API, as every ``within``/``code`` of the project: core.filters.query_scoped_code), and a
layout's name or issuer holding a control character (BEL, RLO) is refused naming the field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lianfang.reports import services
from lianfang.reports.models import ReportLayout
from lianfang.reports.tests.conftest import SHANG, XIA, XIYUAN

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")

PAGES = [
    reverse("reports:overview"),
    reverse("reports:daily"),
    reverse("reports:trends"),
    reverse("reports:records", args=["control_areas"]),
    reverse("reports:layout", args=["health-commission-daily"]),
]


@pytest.mark.parametrize("url", PAGES)
def test_a_full_width_code_is_read(scene, client_for, district_commander, url):
    response = client_for(district_commander).get(url, {"code": XIYUAN.translate(FULL_WIDTH)})
    assert response.status_code == 200
    assert response.context["division"].code == XIYUAN


@pytest.mark.parametrize("url", PAGES)
def test_a_code_the_page_cannot_use_is_a_400_naming_it(scene, client_for, district_commander, url):
    client = client_for(district_commander)
    unknown = client.get(url, {"code": "620103999"}, HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400
    page = unknown.content.decode()
    assert "Division code (<code>code</code>)" in page
    assert "“620103999” is not the code of a division you may see" in page
    malformed = client.get(url, {"code": "62o103"}, HTTP_ACCEPT_LANGUAGE="en")
    assert malformed.status_code == 400
    assert "“62o103” is not a division code (1 to 20 digits)" in malformed.content.decode()
    compound = scene["compound_a"].code
    below = client.get(url, {"code": compound}, HTTP_ACCEPT_LANGUAGE="en")
    assert below.status_code == 400
    assert f"“{compound}” is not a district, street/town or community" in below.content.decode()
    zh = client.get(url, {"code": "620103999"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 400 and "“620103999”不是您可查看的区划的代码" in zh.content.decode()


def test_out_of_scope_is_refused_like_every_code_parameter(scene, client_for, community_staff):
    """Community staff of 下西园 naming 上西园: the 400 every ``within`` answers (not a 404 that reads
    like a broken link); the street above their community: a 400 pointing to their own."""
    client = client_for(community_staff)
    refused = client.get(reverse("reports:daily"), {"code": SHANG}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert f"“{SHANG}” is not the code of a division you may see" in refused.content.decode()
    mine = client.get(reverse("reports:daily"), {"code": XIA.translate(FULL_WIDTH)})
    assert mine.status_code == 200 and mine.context["division"].code == XIA
    street = client.get(reverse("reports:daily"), {"code": XIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    assert street.status_code == 400
    assert f"you see only part of “{XIYUAN}”: open the reports of 下西园社区 ({XIA}) instead" in street.content.decode()


def test_a_full_width_date_is_read(scene, client_for, district_commander):
    day = scene["day"].isoformat()
    response = client_for(district_commander).get(
        reverse("reports:daily"), {"code": XIYUAN, "date": day.translate(FULL_WIDTH)}
    )
    assert response.status_code == 200 and response.context["day"] == scene["day"]


@pytest.mark.parametrize("path", ["overview", "daily", "trends"])
def test_api_code(scene, api_for, district_commander, community_staff, path):
    api = api_for(district_commander)
    url = f"/api/v1/reports/{path}/"
    assert api.get(url, {"code": XIYUAN.translate(FULL_WIDTH)}).status_code == 200
    bad = api.get(url, {"code": "9x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and bad.json() == {"code": ["“9x” is not a division code (1 to 20 digits)"]}
    unknown = api.get(url, {"code": "99"}, HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400
    assert unknown.json() == {"code": ["“99” is not the code of a division you may see"]}
    zh = api.get(url, {"code": "99"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.json() == {"code": ["“99”不是您可查看的区划的代码"]}
    other = api_for(community_staff).get(url, {"code": SHANG})
    assert other.status_code == 400 and SHANG in other.json()["code"][0]
    compound = scene["compound_a"].code
    below = api.get(url, {"code": compound})
    assert below.status_code == 400 and compound in below.json()["code"][0]


LAYOUT = {
    "name": "n",
    "name_en": "n",
    "form_title": "t",
    "form_title_en": "t",
    "source": "control_areas",
    "columns": ["name"],
}


def test_layout_texts_refuse_control_characters(scene, district_commander):
    with pytest.raises(ValidationError) as refused:
        services.report_layout_save(
            actor=district_commander,
            key="mine",
            district=scene["operation"].district,
            **{**LAYOUT, "name": "日报\x07", "issuer": "\u202e区指挥部", "form_title_en": "Daily\x1b"},
        )
    assert refused.value.message_dict == {
        "name": ["must not contain control characters (U+0007)."],
        "issuer": ["must not contain control characters (U+202E)."],
        "form_title_en": ["must not contain control characters (U+001B)."],
    }
    assert not ReportLayout.objects.filter(key="mine").exists()


def test_layout_form_names_the_field(scene, client_for, district_commander):
    client = client_for(district_commander)
    response = client.post(
        reverse("reports:layout_new"),
        {
            "key": "mine",
            "name": "日报",
            "name_en": "Daily",
            "form_title": "日报",
            "form_title_en": "Daily",
            "issuer": "区指挥部\u202e",
            "issuer_en": "Command\x07",
            "source": "control_areas",
            "columns": "name",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["issuer"] == ["不能包含控制字符（U+202E）。"]
    assert form.errors["issuer_en"] == ["不能包含控制字符（U+0007）。"]
    assert not ReportLayout.objects.filter(key="mine").exists()
