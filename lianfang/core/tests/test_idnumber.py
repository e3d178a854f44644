import datetime as dt

import pytest

from lianfang.core import idnumber

TODAY = dt.date(2026, 11, 29)


@pytest.mark.parametrize(
    ("raw", "number", "birth", "sex"),
    [
        ("11010519491231002X", "11010519491231002X", dt.date(1949, 12, 31), "F"),
        ("440524188001010014", "440524188001010014", dt.date(1880, 1, 1), "M"),
        ("11010519491231002x", "11010519491231002X", dt.date(1949, 12, 31), "F"),  # lower-case x
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", dt.date(1949, 12, 31), "F"),  # full-width
        (" 110105 1949 1231 002X ", "11010519491231002X", dt.date(1949, 12, 31), "F"),
        ("'11010519491231002X", "11010519491231002X", dt.date(1949, 12, 31), "F"),  # Excel text prefix
    ],
)
def test_valid_numbers(raw, number, birth, sex):
    parsed = idnumber.parse(raw, today=TODAY)
    assert (parsed.number, parsed.birth_date, parsed.sex, parsed.address_code) == (number, birth, sex, number[:6])


def test_fifteen_digit_number_is_converted():
    # 15-digit GB 11643-1989 form of 11010519491231002X: drop "19" and the check character.
    parsed = idnumber.parse("110105491231002", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.converted_from_15 is True


@pytest.mark.parametrize(
    "raw",
    [
        "440524188001010000",  # 15 significant digits kept by Excel, zeros after
        "4.40524E+17",  # scientific notation
        "4.40524188001010E+17",
        "440524188001009984",  # read back as a float
        440524188001010014,  # a numeric cell
        4.40524188001010e17,
    ],
)
def test_excel_corrupted_values_are_rejected_not_repaired(raw):
    with pytest.raises(idnumber.IdNumberError) as err:
        idnumber.parse(raw, today=TODAY)
    assert err.value.code == "excel_corrupted"
    assert "Excel" in str(err.value)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("11010519491231002", "format"),
        ("1101051949123100AX", "format"),
        ("110105194902300021", "birth_date"),  # 30 February
        ("110105203001010011", "birth_date"),  # in the future
        ("110105194912310021", "check_digit"),
    ],
)
def test_invalid_numbers(raw, code):
    with pytest.raises(idnumber.IdNumberError) as err:
        idnumber.parse(raw, today=TODAY)
    assert err.value.code == code
    assert err.value.value == raw


def test_historical_address_code_is_accepted():
    # Born 1950 but carrying 620103 (a code of the 1980s): real numbers like this are valid.
    number = idnumber.make("620103", dt.date(1950, 5, 4), 21)
    assert idnumber.parse(number, today=TODAY).birth_date == dt.date(1950, 5, 4)


def test_make_builds_valid_numbers_with_sex_parity():
    male = idnumber.make("620103", dt.date(1990, 1, 1), 11)
    female = idnumber.make("620103", dt.date(1990, 1, 1), 12)
    assert idnumber.parse(male, today=TODAY).sex == "M"
    assert idnumber.parse(female, today=TODAY).sex == "F"


@pytest.mark.parametrize(
    ("raw", "en", "zh"),
    [
        ("", "Identity number is empty", "身份证号为空"),
        ("4.40524E+17", "Corrupted by Excel (scientific notation) — re-export the column as text", None),
        ("11010519491231002", "Must be 18 characters (17 digits and a digit or X) or 15 digits, got 17", None),
        ("110105194902300021", "Birth date 19490230 does not exist", "出生日期 19490230 不存在"),
        ("110105203001010011", "Birth date 20300101 is out of range", "出生日期 20300101 超出范围"),
        ("110105194912310021", "Check character does not match (GB 11643-1999)", "校验码不符（GB 11643-1999）"),
    ],
)
def test_messages_are_sentences(raw, en, zh):
    """New-user trial: the English messages started lower-case ("check character does not match …")."""
    from django.utils import translation

    for language, expected in (("en", en), ("zh-hans", zh)):
        with translation.override(language), pytest.raises(idnumber.IdNumberError) as err:
            idnumber.parse(raw, today=TODAY)
        if expected is not None:
            assert str(err.value) == expected
