"""Fourth new-user trial: a fieldops 400/404 says why (a place out of scope, an unknown id, an unknown
check-in code) on the translated 404 page, not only the generic sentence."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize("name", ["fieldops:roster", "fieldops:people", "fieldops:passages"])
def test_a_place_out_of_scope_is_a_400_naming_it(population, other_community_staff, client_for, name):
    """A ``within`` or ``code`` the caller does not reach is the translated 400 page naming the
    parameter and the value (core.filters.query_scoped_code), as on every list."""
    client = client_for(other_community_staff)  # 上西园's staff; 下西园 (620103001001) is not theirs
    response = client.get(reverse(name), {"within": "620103001001"}, **ZH)
    assert response.status_code == 400
    text = response.content.decode()
    assert "<h1>请求有误</h1>" in text
    assert "<code>within</code>）：“620103001001”不是您可查看的区划的代码</li>" in text
    english = client.get(reverse(name), {"code": "620103001001"}, **EN)
    assert english.status_code == 400
    assert "<code>code</code>): “620103001001” is not the code of a division you may see</li>" in (
        english.content.decode()
    )


def test_bulk_change_of_an_unknown_person_is_a_404_naming_the_id(population, community_staff, client_for):
    response = client_for(community_staff).post(reverse("fieldops:bulk_request"), {"people": ["999999"]}, **ZH)
    assert response.status_code == 404
    assert "<p>999999 不存在或不在您的范围内</p>" in response.content.decode()


def test_an_unknown_check_in_code_is_a_404_saying_what_to_do(client):
    response = client.get(reverse("fieldops:resident_check_in", args=["not-a-token"]), **ZH)
    assert response.status_code == 404
    assert "<p>此打卡码无效或已停用：请向网格员索取本户的新打卡码。</p>" in response.content.decode()
    english = client.get(reverse("fieldops:resident_check_in", args=["not-a-token"]), **EN).content.decode()
    assert (
        "This check-in code is unknown or no longer valid: ask your grid worker for the household&#x27;s new code."
        in english
    )
