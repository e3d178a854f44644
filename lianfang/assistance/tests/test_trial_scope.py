"""Second new-user trial: a code or id the user cannot read, typed into a form, is a field error naming
the value (the same words as an unknown one), the input kept; never a bare 404 nor a place named."""

import pytest
from django.urls import reverse

from lianfang.assistance.models import CareMedicine, SupplyPlan

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
OTHER_COMPOUND = "620103001002001"  # 园林小区 of 上西园: outside 下西园's staff


@pytest.mark.parametrize("code", [OTHER_COMPOUND, "620103001001999"])
def test_supply_plan_for_an_area_out_of_scope_or_unknown_is_a_field_error(grid, client_for, code):
    body = {"code": code, "day": "2026-12-01", "name": "蔬菜包", "contents": "白菜"}
    page = client_for(grid["staff_user"]).post(reverse("assistance:plans"), body, **ZH)
    assert page.status_code == 200
    assert page.context["form"].errors == {"code": [f"未知或不在权限范围内的区划代码：{code}"]}
    assert 'value="蔬菜包"' in page.content.decode()  # the input is kept
    assert "园林小区" not in page.content.decode()
    assert not SupplyPlan.objects.exists()


def test_medicine_for_a_resident_out_of_scope_is_a_field_error_naming_the_id(grid, client_for):
    client = client_for(grid["staff_user"])
    hidden = grid["王五"]  # 上西园
    url = reverse("assistance:medicine_new")
    for resident_id in (hidden.pk, 999999):
        page = client.get(url, {"resident": resident_id}, **ZH)
        assert page.status_code == 200
        assert page.context["resident_error"] == f"未知或不在权限范围内的居民编号：{resident_id}"
        assert hidden.name not in page.content.decode()
    own = client.get(url, {"resident": grid["张三"].pk}, **ZH)  # one's own resident: the household's form
    assert own.context["household"] == grid["h1"] and own.context["form"].initial["resident"] == grid["张三"].pk
    body = {"resident": hidden.pk, "name": "降压药", "unit": "片", "dose_per_day": "1", "stock": "30"}
    body["stock_counted_on"] = "2026-11-29"
    posted = client.post(f"{url}?household={grid['h1'].pk}", body, **ZH)
    assert posted.status_code == 200
    assert posted.context["form"].errors == {"resident": [f"未知或不在权限范围内的居民编号：{hidden.pk}"]}
    assert 'value="降压药"' in posted.content.decode()
    assert not CareMedicine.objects.exists()


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_a_corrupt_partner_list_is_named_in_chinese_without_the_library_words(grid, suffix):
    from django.utils import translation

    from lianfang.assistance.importers import FileError, read_rows

    with translation.override("zh-hans"), pytest.raises(FileError) as caught:
        read_rows(b"PK\x03\x04 not a workbook", f"list.{suffix}")
    assert str(caught.value) == f"文件不是可读取的 {suffix.upper()} 文件"


@pytest.mark.parametrize("query", ["张三", "13812345678"])
def test_household_search_says_it_reads_the_address_only(grid, client_for, query):
    client = client_for(grid["staff_user"])
    url = reverse("assistance:new")
    help_text = "按地址查找：楼栋、单元、房号（不按姓名或电话查找）。"
    assert help_text in client.get(url, **ZH).content.decode()
    page = client.get(url, {"q": query}, **ZH)  # a contact's name or phone: not part of the address
    body = page.content.decode()
    assert list(page.context["households"]) == [] and help_text in body
    assert "您的辖区内没有地址（楼栋、单元、房号）包含该内容的住户；姓名和电话不在查找范围内。" in body
    found = client.get(url, {"q": "阳光小区"}, **ZH)
    assert [h.pk for h in found.context["households"]] == [grid["h1"].pk, grid["h2"].pk]
