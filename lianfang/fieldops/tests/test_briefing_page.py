"""The briefing page's team filter reads like the other filters' empty choice ("Any action", "Any level")."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "option"), [("zh-hans", "全部队伍"), ("en", "Any team")])
def test_team_filter_offers_any_team(client_for, community_staff, language, option):
    response = client_for(community_staff).get(reverse("fieldops:briefing"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<option value="">{option}</option>' in response.content.decode()
