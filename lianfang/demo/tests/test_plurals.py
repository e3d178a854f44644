"""New-user trial 14: English messages with a count read "1 areas", "1 errors"; demo's one such
message uses ngettext."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianfang.demo.services import too_few_workers


@pytest.mark.parametrize(
    ("language", "n", "message"),
    [
        ("en", 1, "620103001 has 1 worker: the generated workforce is missing"),
        ("en", 2, "620103001 has 2 workers: the generated workforce is missing"),
        ("zh-hans", 1, "620103001只有1名工作人员：缺少生成的工作力量"),
        ("zh-hans", 2, "620103001只有2名工作人员：缺少生成的工作力量"),
    ],
)
def test_too_few_workers_counts_in_the_language(language, n, message):
    with translation.override(language):
        assert too_few_workers("620103001", n) == message
