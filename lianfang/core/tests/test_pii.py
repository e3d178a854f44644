import pytest
from cryptography.exceptions import InvalidTag

from lianfang.core import pii


def test_encrypt_roundtrip_and_random_nonce():
    a, b = pii.encrypt("11010519491231002X"), pii.encrypt("11010519491231002X")
    assert a != b  # a fresh nonce per value
    assert pii.decrypt(a) == pii.decrypt(b) == "11010519491231002X"
    assert b"11010519491231002X" not in a


def test_tampering_is_detected():
    blob = bytearray(pii.encrypt("13812345678"))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        pii.decrypt(bytes(blob))


def test_lookup_hash_is_keyed_and_kind_separated():
    assert pii.lookup_hash("phone", "13812345678") == pii.lookup_hash("phone", "13812345678")
    assert pii.lookup_hash("phone", "13812345678") != pii.lookup_hash("id", "13812345678")
    assert len(pii.lookup_hash("id", "x")) == 32
    assert pii.lookup_hash("id", "") == ""


def test_masks():
    assert pii.mask_id("440524188001010014") == "4405**********0014"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("093112345678") == "********5678"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("0931-8123456", "09318123456"),
    ],
)
def test_normalize_phone(raw, normalized):
    assert pii.normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["12345", "1381234567", "abc", "+1 202 555 0143", ""])
def test_invalid_phone(raw):
    with pytest.raises(pii.PhoneError):
        pii.normalize_phone(raw)


@pytest.mark.parametrize(
    "text,masked",
    [
        ("62010319900101000X", "6201**********000X"),
        ("620103199001010026 王芳", "6201**********0026 王芳"),
        ("138-1234-5678", "138****5678"),
        ("６２０１０３１９９００１０１００２６", "６２０１**********００２６"),  # full-width digits
        ("room 1201, 3 people", "room 1201, 3 people"),
        ("9999-12-31", "9999-12-31"),  # trial 6: a refused birth date read "99****31"
        ("出生日期 0001-1-1", "出生日期 0001-1-1"),
        ("1380-0138-000", "138****8000"),  # dashes elsewhere: still a phone
        (13812345678, "138****5678"),
        (None, ""),
        # the shapes a search query holds (one masker for both: registry.services.mask_query)
        ("１３８１２３４５６７８", "１３８****５６７８"),  # full-width mobile: still a phone, still full-width
        ("+86 138 1234 5678", "+86138****5678"),
        ("0931-8123456", "093****3456"),  # a fixed line with its area code
        ("177.9266.1038", "177****1038"),
        ("110105 1949 1231 002x", "1101**********002X"),
        ("户 123456", "户 123456"),
    ],
)
def test_numbers_in_free_text_are_masked(text, masked):
    assert pii.mask_numbers_in(text) == masked


def test_numbers_in_free_text_are_cut_to_the_limit():
    assert pii.mask_numbers_in("1" * 5000, limit=100) == "1111" + "*" * 95 + "…"
    assert pii.mask_numbers_in("张三 13812345678", limit=100) == "张三 138****5678"


def test_quoted_masks_numbers_and_cuts():
    from lianfang.core.pii import quoted

    assert quoted("620103198001010012") == "“6201**********0012”"
    assert quoted("tel:13800138000") == "“tel:138****8000”"
    assert quoted("abc") == "“abc”"
    assert quoted("x" * 50) == "“" + "x" * 40 + "…”"
