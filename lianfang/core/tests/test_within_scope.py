"""``within`` names a division the same way on the zones and the assistance pages (new-user trial):
a code holding nothing the viewer may see and a value that is not a code are both a 400 naming the
parameter and the value (core.filters.ScopedWithinFilter / query_scoped_code); a code in scope
filters. Asked as a community-scoped user (下西园 620103001001)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.urls import reverse

from lianfang.conftest import SHANGXIYUAN, XIAXIYUAN

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
PAGES = ["zones:index", "zones:infections", "assistance:index", "assistance:tickets"]


def bad_query(response) -> list[str]:
    """The 400 page's lines ``<label> (<parameter>): <message>`` (tags stripped)."""
    assert response.status_code == 400
    listed = re.search(r'<ul data-testid="bad-query">(.*?)</ul>', response.content.decode(), re.S).group(1)
    return [re.sub(r"<[^>]+>", "", line).strip() for line in re.findall(r"<li>(.*?)</li>", listed, re.S)]


@pytest.mark.parametrize("name", PAGES)
def test_out_of_scope_division_is_a_400_naming_it(population, community_staff, client_for, name):
    response = client_for(community_staff).get(reverse(name), {"within": SHANGXIYUAN}, **ZH)
    assert bad_query(response) == [f"所属区划代码（within）：“{SHANGXIYUAN}”不是您可查看的区划的代码"]
    english = client_for(community_staff).get(reverse(name), {"within": SHANGXIYUAN}, HTTP_ACCEPT_LANGUAGE="en")
    line = f"Division code (within): “{SHANGXIYUAN}” is not the code of a division you may see"
    assert bad_query(english) == [line]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("value", ["abc", "6201-03", "６２０１Ｘ", "99999999999"])
def test_garbage_or_unknown_within_is_a_400_naming_it(population, community_staff, client_for, name, value):
    lines = bad_query(client_for(community_staff).get(reverse(name), {"within": value}, **ZH))
    if value.isascii() and value.isdigit():  # well formed, but no such division
        assert lines == [f"所属区划代码（within）：“{value}”不是您可查看的区划的代码"]
    else:  # named as normalised (NFKC): “6201X”, not “６２０１Ｘ”
        shown = unicodedata.normalize("NFKC", value)
        assert lines == [f"所属区划代码（within）：“{shown}”不是区划代码（应为1至20位数字）"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("value", [XIAXIYUAN, "620103"])
def test_full_width_digits_read_as_the_code(population, community_staff, client_for, name, value):
    """New-user trial: ``６２０１０３`` (a Chinese input method's digits) was refused; it is normalised
    with NFKC (core.filters.CodeField, query_code) and answers as the ASCII code does."""
    full_width = value.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    client = client_for(community_staff)
    response = client.get(reverse(name), {"within": full_width}, **ZH)
    assert response.status_code == 200
    assert response.status_code == client.get(reverse(name), {"within": value}, **ZH).status_code


@pytest.mark.parametrize("name", PAGES)
def test_division_in_scope_is_answered(population, community_staff, client_for, name):
    response = client_for(community_staff).get(reverse(name), {"within": XIAXIYUAN}, **ZH)
    assert response.status_code == 200


def test_assistance_board_and_list_narrow_to_the_division(population, community_staff, client_for):
    from lianfang.assistance.services.intake import service_request_create

    service_request_create(actor=None, household=population["h1"], category="other", description="修门")
    client = client_for(community_staff)
    board = client.get(reverse("assistance:index"), {"within": XIAXIYUAN}, **ZH)
    assert board.context["code"] == XIAXIYUAN
    listed = client.get(reverse("assistance:tickets"), {"within": XIAXIYUAN}, **ZH)
    assert listed.context["page"].paginator.count == 1
    compound = client.get(reverse("assistance:tickets"), {"within": population["compound_b"].code}, **ZH)
    assert compound.status_code == 400  # 上西园's compound: not theirs


def test_query_code_reads_full_width_digits():
    """The plain ``code``/``within`` parameter (core.filters.query_code): NFKC before the check."""
    from lianfang.core.filters import BadQuery, query_code

    assert query_code({"code": "６２０１０３"}, "code") == "620103"
    assert query_code({"within": "\u3000６２０１０３００１ "}) == "620103001"
    from django.utils import translation

    with translation.override("en"), pytest.raises(BadQuery) as raised:
        query_code({"code": "６２０Ｘ"}, "code")
        assert {k: [str(m) for m in v] for k, v in raised.value.errors.items()} == {
            "code": ["“620X” is not a division code (1 to 20 digits)"]
        }
