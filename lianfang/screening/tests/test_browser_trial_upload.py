"""Browser test (Playwright + Chromium, phone-sized): a PNG chosen as the lab-result file reads the
one message naming the file and the accepted formats; the file input offers those formats; a
division code outside the user's scope on the missed-people page is the 400 naming it."""

import io

import pytest
import segno

from lianfang.conftest import screenshot
from lianfang.screening.models import ResultImport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_png_as_lab_results_names_the_file_and_the_formats(community_staff, login_page, live_server):
    buffer = io.BytesIO()
    segno.make("QL0001").save(buffer, kind="png")
    page = login_page(community_staff)
    page.goto(f"{live_server.url}/screening/results/")
    form = page.get_by_test_id("upload-form")
    assert "结果文件（CSV、XLSX、XLS 或 ODS）" in form.inner_text()
    assert form.locator("input[type=file]").get_attribute("accept") == ".csv,.txt,.xlsx,.xlsm,.xls,.ods"
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "化验结果.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("p.flash").inner_text() == "化验结果.png 不是可读取的 CSV、XLSX、XLS 或 ODS 文件"
    assert not ResultImport.objects.exists()
    screenshot(page, "screening-results-png-refused")
    page.goto(f"{live_server.url}/screening/missed/?code=620103001002")  # 上西园: not theirs
    assert page.get_by_test_id("bad-query").inner_text() == "区划代码（code）：“620103001002”不是您可查看的区划的代码"
