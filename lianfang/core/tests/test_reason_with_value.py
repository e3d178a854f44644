"""A refusal and the refused value are joined by the language's colon (core.fielderrors.reason_with_value)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from lianfang.core.fielderrors import reason_with_value
from lianfang.registry.services import household_create, validate_resident


def test_reason_with_value_uses_the_full_width_colon_in_chinese_and_masks_the_value():
    with translation.override("zh-hans"):
        assert reason_with_value("不是有效的中国电话号码", "13812345678") == "不是有效的中国电话号码：“138****5678”"
    with translation.override("en"):
        assert reason_with_value("not a valid Chinese phone number", "abc") == "not a valid Chinese phone number: “abc”"


def test_a_refused_phone_reads_reason_colon_masked_value_in_both_languages(population):
    for language, expected in (
        ("zh-hans", "不是有效的中国电话号码：“123****8901”"),
        ("en", "not a valid Chinese phone number: “123****8901”"),
    ):
        with translation.override(language):
            with pytest.raises(ValidationError) as household:
                household_create(actor=None, node=population["unit_a"], room="909", phone="12345678901")
            with pytest.raises(ValidationError) as resident:
                validate_resident(name="张三", document_number="11010519491231002X", phone="12345678901")
        assert household.value.message_dict == {"phone": [expected]}
        assert resident.value.message_dict["phone"] == [expected]
