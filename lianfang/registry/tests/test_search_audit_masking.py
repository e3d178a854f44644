"""A people search is audited with its query masked whatever surrounds the number (a ``+86`` or
``0086`` prefix, a trailing x, full-width digits, spaces, dashes, dots) and cut to 100 characters;
and a phone number written with spaces, dashes or ``+86`` finds the resident as the audit log
recognises it (registry.selectors.search_residents reads it with core.pii.normalize_phone)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from lianfang.core.models import AuditEntry
from lianfang.registry.services import mask_query

pytestmark = pytest.mark.django_db

# (query as typed, as the audit log keeps it, digits that must never be stored)
VARIANTS = [
    ("+8617792661038", "+86177****1038", "17792661038"),
    ("620103197502240867x", "6201***********867X", "620103197502240867"),
    ("620103197502240867X", "6201***********867X", "620103197502240867"),
    ("177 9266 1038", "177****1038", "17792661038"),
    ("tel:17792661038", "tel:177****1038", "17792661038"),
    ("身份证620103197502240867", "身份证6201**********0867", "620103197502240867"),
    ("＋８６１７７９２６６１０３８", "+86177****1038", "17792661038"),
    ("６２０１０３１９７５０２２４０８６７ｘ", "6201***********867X", "620103197502240867"),
    ("0086 177-9266-1038", "+86177****1038", "17792661038"),
    ("+86 177 9266 1038", "+86177****1038", "17792661038"),
    ("8617792661038", "+86177****1038", "17792661038"),
    ("177.9266.1038", "177****1038", "17792661038"),
    ("x17792661038y", "x177****1038y", "17792661038"),
    ("62010319750224086", "6201*********4086", "62010319750224086"),  # 17 digits (the ID without its check)
    ("620103750224086", "6201*******4086", "620103750224086"),  # a 15-digit ID
    ("abc620103197502240867Xdef", "abc6201***********867Xdef", "620103197502240867"),
]


@pytest.mark.parametrize(("typed", "kept", "secret"), VARIANTS)
def test_every_variant_is_masked(typed, kept, secret):
    assert mask_query(typed) == kept
    assert secret not in kept.replace("*", "")


@pytest.mark.parametrize(("typed", "kept", "secret"), VARIANTS)
def test_the_stored_row_and_the_audit_page_never_hold_the_digits(
    typed, kept, secret, population, community_staff, district_commander, client_for
):
    client_for(community_staff).get(reverse("registry:search"), {"q": typed})
    entry = AuditEntry.objects.get(action="registry.search")  # read back from the database
    assert entry.detail["query"] == {"q": kept}
    stored = json.dumps(entry.detail, ensure_ascii=False)
    assert secret not in stored and typed not in stored
    page = client_for(district_commander).get("/audit/", {"action": "registry.search"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert secret not in html and kept in html


def test_a_long_query_is_refused_and_the_audit_keeps_at_most_100_masked_characters(
    population, community_staff, client_for
):
    page = client_for(community_staff).get(reverse("registry:search"), {"q": "1" * 5000})
    assert page.status_code == 400  # over core.filters.search_text's 100 characters: neither searched nor audited
    assert not AuditEntry.objects.filter(action="registry.search").exists()
    kept = mask_query("1" * 5000)  # what the audit would keep of a long query: cut to 100, numbers masked
    assert len(kept) == 100
    assert kept == "1111" + "*" * 95 + "…"


def test_short_numbers_stay_as_typed():
    assert mask_query("户 123456") == "户 123456"
    assert mask_query("5678") == "5678"
    assert mask_query("王芳 002X") == "王芳 002X"


@pytest.mark.parametrize(
    "typed", ["138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "+8613812345678", "０086-13812345678"]
)
def test_a_phone_written_with_spaces_dashes_or_86_is_found(typed, population, community_staff, client_for):
    page = client_for(community_staff).get(reverse("registry:search"), {"q": typed})
    assert [r.name for r in page.context["page"]] == ["张三"]
    entry = AuditEntry.objects.get(action="registry.search")
    assert entry.detail["results"] == 1
    assert "13812345678" not in json.dumps(entry.detail)


def test_a_number_that_is_no_phone_finds_nobody(population, community_staff, client_for):
    page = client_for(community_staff).get(reverse("registry:search"), {"q": "+86 999 9999 9999"})
    assert page.context["page"].paginator.count == 0
