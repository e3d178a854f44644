"""Findings of the fourth new-user trial in screening: a body the parsers refuse after a missing
header is a 400 (it was a 500), an unknown or out-of-scope id in a body is a field error naming it
(it was a bare 404), an empty result batch is refused, an unknown round action is named, and the
new-round form names every bad field at once, the round's 名称 and a 30 February deadline."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from lianfang.screening.models import ResultImport, SamplingDesk, SamplingSite, TestingRound
from lianfang.screening.tests.conftest import key

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.mark.parametrize("name", ["rounds", "sites", "desks", "results"])
@pytest.mark.parametrize(("content_type", "body"), [("application/json", "{bad"), ("text/plain", "x")])
def test_an_unreadable_body_without_a_key_is_a_400_naming_the_header(
    api_for, district_commander, name, content_type, body
):
    response = api_for(district_commander).post(
        reverse(f"api:screening-{name[:-1] if name != 'results' else 'result'}-list"),
        body,
        content_type=content_type,
        **ZH,
    )
    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]


def test_unknown_or_invisible_ids_in_a_body_are_field_errors(api_for, community_staff, district_commander, desk, rnd):
    api = api_for(community_staff)
    sample = api.post(
        reverse("api:screening-sample-list"),
        {"desk": 999999, "kind": "scan", "value": "11010519491231002X", "tube": "t-1"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key(),
        **ZH,
    )
    assert (sample.status_code, sample.json()) == (400, {"desk": ["999999 不存在或不在您的范围内"]})
    commander = api_for(district_commander)
    site = commander.post(
        reverse("api:screening-site-list"),
        {"round": 99999, "name": "点", "division": "620103001001"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key(),
        **ZH,
    )
    assert (site.status_code, site.json()) == (400, {"round": ["99999 不存在或不在您的范围内"]})
    place = commander.post(
        reverse("api:screening-site-list"),
        {"round": rnd.pk, "name": "点", "division": "620103999999"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key(),
        **ZH,
    )
    assert (place.status_code, place.json()) == (400, {"division": ["620103999999 不存在或不在您的范围内"]})
    new_desk = commander.post(
        reverse("api:screening-desk-list"),
        {"site": 99999, "name": "台"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key(),
        **ZH,
    )
    assert (new_desk.status_code, new_desk.json()) == (400, {"site": ["99999 不存在或不在您的范围内"]})
    assert SamplingSite.objects.count() == 1 and SamplingDesk.objects.count() == 1  # the fixtures' own


def test_an_empty_result_batch_is_refused(api_for, district_commander):
    response = api_for(district_commander).post(
        reverse("api:screening-result-list"), {"lines": []}, format="json", HTTP_IDEMPOTENCY_KEY=key(), **ZH
    )
    assert response.status_code == 400 and list(response.json()) == ["lines"]
    assert not ResultImport.objects.exists()


def test_round_page_names_an_unknown_action_and_an_unknown_site(client_for, district_commander, rnd, site):
    client = client_for(district_commander)
    url = reverse("screening:round", args=[rnd.pk])
    bogus = client.post(url, {"action": "bogus"}, **ZH)
    assert bogus.status_code == 302
    assert [str(m) for m in get_messages(bogus.wsgi_request)] == ["未知的操作“bogus”：未做任何更改。"]
    desk = client.post(url, {"action": "desk", "site": "99999", "name": "台", "capacity_per_hour": "60"}, **ZH)
    assert desk.status_code == 302
    assert [str(m) for m in get_messages(desk.wsgi_request)][-1] == "采样点：99999 不存在或不在您的范围内"
    assert not SamplingDesk.objects.exists()


def test_new_round_form_names_every_bad_field_at_once(client_for, district_commander, qilihe):
    client = client_for(district_commander)
    page = client.get(reverse("screening:round_new"), **ZH)
    assert "名称" in page.content.decode() and "姓名" not in page.content.decode()
    response = client.post(
        reverse("screening:round_new"),
        {"name": "第2轮", "codes": "620103001001 620103999999", "deadline": "2026-02-30T10:00"},
        **ZH,
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["codes"] == ["未知或超出权限范围：620103999999"]
    assert errors["deadline"] == ["“2026-02-30T10:00”不是有效的日期和时间（应为 YYYY-MM-DD HH:MM）。"]
    assert not TestingRound.objects.exists()
