"""The briefing page's team filter reads like the other filters' empty choice ("Any action", "Any level")."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "option"), [("zh-hans", "全部队伍"), ("en", "Any team")])
def test_team_filter_offers_any_team(client_for, community_staff, language, option):
    response = client_for(community_staff).get(reverse("fieldops:briefing"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<option value="">{option}</option>' in response.content.decode()


def test_teams_of_two_places_with_one_name_are_told_apart(client_for, district_commander, population):
    """New-user trial 12: two “第1组” in the team filter. Each team is named with its place; a team out of
    reach is a 404."""
    from lianfang.divisions.models import Division
    from lianfang.workforce.services import team_create

    xia, shang = Division.objects.get(code="620103001001"), Division.objects.get(code="620103001002")
    a = team_create(actor=district_commander, name="第1组", base_division=xia)
    b = team_create(actor=district_commander, name="第1组", base_division=shang)
    client = client_for(district_commander)
    page = client.get(reverse("fieldops:briefing")).content.decode()
    assert f'<option value="{a.pk}">第1组（{xia.short_name}）</option>' in page
    assert f'<option value="{b.pk}">第1组（{shang.short_name}）</option>' in page
    chosen = client.get(reverse("fieldops:briefing"), {"team": b.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"第1组 ({shang.short_name})</h1>" in chosen
    assert client.get(reverse("fieldops:briefing"), {"team": b.pk + 100}).status_code == 404


def test_a_schedule_every_hour_reads_in_the_singular_in_english(community_staff, population):
    """The briefing's disinfection line reads “Every 1 hour” in English (ngettext), “每 1 小时” in zh-Hans."""
    from django.utils import timezone, translation

    from lianfang.fieldops.briefing import daily_briefing
    from lianfang.fieldops.services.disinfection import disinfection_schedule_create

    compound = population["compound_a"]
    disinfection_schedule_create(actor=community_staff, division=compound, place="电梯", interval_hours=1)
    for language, expected in (("en", "Every 1 hour"), ("zh-hans", "每 1 小时")):
        with translation.override(language):
            briefing = daily_briefing(user=community_staff, code=compound.code, day=timezone.localdate())
        section = next(s for s in briefing.sections if s.key == "disinfection")
        assert [item.what for item in section.items] == [expected]
