"""``within`` is optional on the briefing and gate coverage (the caller's own division by default);
the gate form's defaults agree."""

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/fieldops/briefing/", "/api/v1/fieldops/gates/coverage/"])
def test_without_within_the_callers_own_division(api_for, community_staff, outsider, url):
    response = api_for(community_staff).get(url)
    assert response.status_code == 200, response.content
    if url.endswith("briefing/"):
        assert response.json()["code"] == "620103001001"
    assert api_for(outsider).get(url).status_code == 404  # no division of their own


def test_schema_says_within_is_optional(api_for, district_commander):
    schema = api_for(district_commander).get("/api/v1/schema/", {"format": "json"}).json()
    for path in ("/api/v1/fieldops/briefing/", "/api/v1/fieldops/gates/coverage/"):
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["within"].get("required", False) is False
        assert "default" in params["within"]["description"]


def test_gate_form_defaults_agree(client_for, community_staff, gates):
    """Returning home is walking in: the form preselects 进 with 返回住所, never 出 with it."""
    response = client_for(community_staff).get(f"/fieldops/gates/{gates['north'].pk}/")
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["direction"].value(), form["purpose"].value()) == ("in", "return_home")


def test_generated_filter_labels_follow_the_page_language(client_for, community_staff):
    """django-filter caches the first language's label of a generated filter; ours are lazy."""
    client = client_for(community_staff)
    with translation.override(settings.LANGUAGE_CODE):
        client.get("/fieldops/people/", HTTP_ACCEPT_LANGUAGE="en")
        zh = client.get("/fieldops/people/").content.decode()
    assert "状态" in zh and "类别" in zh
    assert ">Status:<" not in zh and ">Category:<" not in zh


def test_foreign_key_filter_with_an_id_past_64_bits_is_400(client_for, community_staff):
    response = client_for(community_staff).get("/fieldops/passages/", {"gate": "99999999999999999999"})
    assert response.status_code == 400
    assert "gate" in response.content.decode()


def test_roster_names_shift_patterns_in_the_page_language(client_for, community_staff):
    zh = client_for(community_staff).get("/fieldops/roster/").content.decode()
    assert "三班倒（8小时）" in zh and ">three-8h<" not in zh
