"""core.fielderrors.control_character_problem: C0/C1 controls, and (new-user trial 14) the invisible
format characters that reorder or hide text — RIGHT-TO-LEFT OVERRIDE U+202E, ZERO WIDTH SPACE U+200B."""

from __future__ import annotations

import pytest
from django.utils import translation

from lianfang.core.fielderrors import control_character_problem


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a\x07b", "U+0007"),
        ("a\x85b", "U+0085"),
        ("a\u202eb", "U+202E"),
        ("a\u200bb", "U+200B"),
        ("\ufeffa", "U+FEFF"),
        ("a\u2066b\u2069", "U+2066"),
        ("a\u00adb", "U+00AD"),
        ("\u202ea\x07", "U+0007"),  # a C0/C1 control is named first
    ],
)
def test_refused_in_every_text(text, code):
    message = f"must not contain control characters ({code})."
    assert control_character_problem(text) == message
    assert control_character_problem(text, multiline=False) == message


@pytest.mark.parametrize("text", ["张三", "3号楼\n2单元\t101", "👨\u200d👩\u200d👧", "", None, "naïve café"])
def test_plain_and_multiline_texts_pass(text):
    assert control_character_problem(text) is None


def test_a_one_line_text_refuses_every_format_character_and_line_breaks():
    assert control_character_problem("a\u200db", multiline=False) == "must not contain control characters (U+200D)."
    assert control_character_problem("a\nb", multiline=False) == "must not contain control characters (U+000A)."
    assert control_character_problem("张三", multiline=False) is None


def test_chinese_message():
    with translation.override("zh-hans"):
        assert control_character_problem("a\u202eb") == "不能包含控制字符（U+202E）。"
