from django.urls import reverse

from lianfang.core.navigation import all_items


def test_every_navigation_entry_resolves():
    for item in all_items():
        assert reverse(item.url_name).startswith("/"), item.url_name
