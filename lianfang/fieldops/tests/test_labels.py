"""Labels of the fieldops pages end with exactly one colon of the reader's language (new-user trial 6:
the roster's "日期" had none), as Django's label_tag writes them."""

import pytest

from lianfang.demo.tests.crawler import (
    label_suffix_faults,
    labels_of_pages,
    thread_language_kept,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("thread_language_kept")]


@pytest.mark.parametrize(("language", "suffix", "day"), [("zh-hans", "：", "日期："), ("en", ":", "Day:")])
def test_roster_labels_end_with_one_colon(gates, community_staff, client_for, language, suffix, day):
    labels = labels_of_pages(client_for(community_staff), {"roster": "/fieldops/roster/"}, language)
    assert label_suffix_faults(labels["roster"], suffix) == []
    assert day in labels["roster"]
