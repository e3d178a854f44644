"""divisions.selectors.place_names: one format for a place — the short names of its path below the
level its reader stands at, joined by “ › ” — for many codes in one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from lianfang.divisions.models import Level
from lianfang.divisions.selectors import place_name, place_names

pytestmark = pytest.mark.django_db


def test_the_path_below_the_readers_level(population):
    unit = population["unit_a"].code  # 下西园社区 阳光小区 1号楼 1单元
    assert place_name(unit, below=Level.DISTRICT) == "西园街道 › 下西园社区 › 阳光小区 › 1号楼 › 1单元"
    assert place_name(unit, below=Level.STREET) == "下西园社区 › 阳光小区 › 1号楼 › 1单元"
    assert place_name(unit, below=Level.COMPOUND) == "1号楼 › 1单元"
    assert place_name(unit, below=Level.STREET, down_to=Level.COMPOUND) == "下西园社区 › 阳光小区"
    assert place_name(unit, below=Level.UNIT) == "1单元"


def test_a_node_at_or_above_the_level_by_its_own_name(population):
    assert place_names(["620103001001", "620103001", "620103", "6201"], below=Level.STREET) == {
        "620103001001": "下西园社区",
        "620103001": "西园街道",
        "620103": "七里河区",
        "6201": "兰州市",
    }


def test_the_whole_city_and_unknown_codes_are_named_never_printed_raw(population):
    with translation.override("en"):
        assert place_names(["", "99", "620103999"], below=Level.DISTRICT) == {
            "": "the whole city",
            "99": "an unknown division",  # no division has a 2-digit code 99
            "620103999": "an unknown division",
        }
    with translation.override("zh-hans"):
        assert place_name("", below=Level.DISTRICT) == "全市"
        assert place_name("1234567", below=Level.DISTRICT) == "未知区划"  # no level has 7 digits


def test_an_address_separator_for_a_printed_notice(population):
    assert place_name(population["compound_a"].code, below=Level.DISTRICT, sep=" ") == "西园街道 下西园社区 阳光小区"


def test_one_query_whatever_the_number_of_codes(population):
    few = [population["unit_a"].code]
    many = [population[k].code for k in ("unit_a", "unit_b", "compound_a", "compound_b")] + ["620103001", "", "99"]
    with CaptureQueriesContext(connection) as one:
        place_names(few, below=Level.STREET)
    with CaptureQueriesContext(connection) as seven:
        named = place_names(many, below=Level.STREET)
    assert len(one) == len(seven) == 1
    assert named[population["unit_b"].code] == "上西园社区 › 园林小区 › 1号楼 › 1单元"
    with CaptureQueriesContext(connection) as none, translation.override("zh-hans"):
        assert place_names(["", "1234567"], below=Level.STREET) == {"": "全市", "1234567": "未知区划"}
    assert len(none) == 0
