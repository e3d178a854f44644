"""The division page (every staff login's home page) separates a label from its value with the
language's colon: "管控等级：", "卧床：3" in zh-Hans, "Control tier: ", "Bedridden: 3" in English
(new-user trial: the counts by need read "卧床: 3")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lianfang.demo.tests.crawler import thread_language_kept  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]


@pytest.mark.parametrize(
    ("language", "separator", "tier"), [("zh-hans", "：", "管控等级："), ("en", ": ", "Control tier: ")]
)
def test_home_page_counts_by_need_and_tier_use_the_language_colon(
    areas_in_force, population, community_staff, client_for, language, separator, tier
):
    client = client_for(community_staff)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert home.redirect_chain[-1][0] == reverse("divisions:detail", args=["620103001001"])
    html = home.content.decode()
    flags = home.context["flags"]
    assert flags and sum(n for _key, _label, n in flags) > 0
    shown = re.findall(r'<a class="tag warn" href="/registry/residents/\?[^"]*">([^<]*)</a>', html)
    assert shown == [f"{label}{separator}{n}" for _key, label, n in flags]
    assert re.search(rf'<p data-testid="division-tier">{tier}<span class="tag"', html), html.split("division-tier")[1][
        :200
    ]
    other = ": " if language == "zh-hans" else "："
    assert other not in "".join(shown)
