"""Browser test of the screening list import page: community staff upload a list with a row of
another community and a bad ID number; the problem table names the row in Chinese, masks the number
and nothing is written."""

import pytest

from lianfang.conftest import screenshot
from lianfang.fieldops.models import ScreenedPerson

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_import_outside_the_community_is_refused(population, community_staff, login_page, live_server):
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/fieldops/people/import/?within=620103001001")
    data = "姓名,身份证号,手机号,类别,现住址,所属社区\n何三,110105200203280019,,流入,,\n林二,,,流入,,上西园社区\n"
    page.set_input_files("input[name=file]", {"name": "名单.csv", "mimeType": "text/csv", "buffer": data.encode()})
    page.select_option("select[name=category]", "inflow")
    page.get_by_role("button", name="导入", exact=True).click()
    table = page.get_by_test_id("problems")
    table.wait_for()
    text = table.inner_text()
    assert "“上西园社区”不在您的辖区（下西园社区）内" in text
    assert "1101**********0019" in text
    assert "110105200203280019" not in page.content()
    screenshot(page, "fieldops-import-refused-phone")
    assert not ScreenedPerson.objects.exists()
