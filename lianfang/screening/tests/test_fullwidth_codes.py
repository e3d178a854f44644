"""Division codes typed with a Chinese input method's full-width digits (６２０１０３…) are read as
the digits they are (core.filters.normalize_code) on the round page, the site form and the API,
with the same messages for what is still not a code; desk masking is core.pii's one rule."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lianfang.core import pii
from lianfang.screening.api.serializers import RoundCreateSerializer, SiteCreateSerializer
from lianfang.screening.forms import SiteForm
from lianfang.screening.models import TestingRound
from lianfang.screening.services import base

pytestmark = pytest.mark.django_db
WIDE = "６２０１０３００１００１"  # 620103001001 下西园 as a Chinese input method types it


def test_site_form_reads_full_width_digits():
    form = SiteForm(data={"name": "下西园点", "code": f"\u3000{WIDE} ", "planned_people": 10})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "620103001001"
    bad = SiteForm(data={"name": "x", "code": "６２０１ab", "planned_people": 1})
    assert not bad.is_valid()
    assert bad.errors["code"] == ["“6201ab” is not a division code (1 to 20 digits)"]


def test_api_serializers_read_full_width_digits():
    body = RoundCreateSerializer(data={"name": "第2轮", "codes": [WIDE, "620103001002"]})
    assert body.is_valid(), body.errors
    assert body.validated_data["codes"] == ["620103001001", "620103001002"]
    site = SiteCreateSerializer(data={"round": 1, "name": "点", "division": WIDE})
    assert site.is_valid(), site.errors
    assert site.validated_data["division"] == "620103001001"
    bad = RoundCreateSerializer(data={"name": "第2轮", "codes": ["abc"]})
    assert not bad.is_valid()
    assert bad.errors == {"codes": {0: ["“abc” is not a division code (1 to 20 digits)"]}}


def test_round_api_opens_over_full_width_codes(api_for, district_commander, population):
    response = api_for(district_commander).post(
        reverse("api:screening-round-list"),
        {"name": "第2轮", "codes": [WIDE]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="round-wide-0001",
    )
    assert response.status_code == 201, response.content
    rnd = TestingRound.objects.get(pk=response.json()["id"])
    assert [n.code for n in rnd.nodes.all()] == ["620103001001"]


def test_round_page_opens_over_full_width_codes_and_counts_in_english(client_for, district_commander, population):
    client = client_for(district_commander)
    response = client.post(
        reverse("screening:round_new"),
        {"name": "第2轮", "codes": f"{WIDE}，６２０１０３００１００２"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    rnd = TestingRound.objects.get(name="第2轮")
    assert sorted(n.code for n in rnd.nodes.all()) == ["620103001001", "620103001002"]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    n = rnd.expected_people
    assert shown == [f"Round opened: {n} {'person' if n == 1 else 'people'} expected"]


def test_desk_masking_is_the_core_rule():
    assert base.mask_name is pii.mask_name
    assert base.mask_name("王小芳") == "王*芳"
    assert base.mask_name("Li Na") == "L* N*"
