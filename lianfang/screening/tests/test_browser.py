"""Browser tests: Playwright driving Debian's Chromium against the live server (phone-sized)."""

import pytest

from lianfang.conftest import screenshot
from lianfang.screening.models import Sample, SubmissionKey, Tube
from lianfang.screening.tests.conftest import stranger_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT_IDS = [
    "11010519491231002X",
    "440524188001010014",
    "620103198501150012",
    "620103198703120022",
    "620103195002020017",
    "620103199001010026",
]


def scan(page, text):
    page.get_by_test_id("scan").fill(text)
    page.get_by_test_id("scan").press("Enter")


def wait_counts(page, queue, synced):
    page.wait_for_function(
        "([q, s]) => document.querySelector('[data-testid=queue-count]').textContent === String(q)"
        " && document.querySelector('[data-testid=synced-count]').textContent === String(s)",
        arg=[queue, synced],
        timeout=20_000,
    )


def test_desk_scans_ten_closes_goes_offline_and_syncs_exactly_once(desk, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/desk/{desk.pk}/sample/")
    people = RESIDENT_IDS + [stranger_id(900 + i) for i in range(4)]
    for number in people:
        scan(page, number)
    wait_counts(page, 0, 10)
    assert page.get_by_test_id("tube-count").inner_text() == "10"
    scan(page, stranger_id(950))  # an eleventh person does not fit a 10-in-1 tube
    assert (
        "Tube full" in page.get_by_test_id("log").inner_text()
        or "采样管已满" in page.get_by_test_id("log").inner_text()
    )
    scan(page, "QL20221001")  # the tube's barcode closes it
    wait_counts(page, 0, 11)
    assert page.get_by_test_id("tube-count").inner_text() == "0"
    tube = Tube.objects.get(barcode="QL20221001")
    assert (tube.status, tube.people, Sample.objects.filter(tube=tube).count()) == ("closed", 10, 10)
    screenshot(page, "screening-desk-online")

    page.context.set_offline(True)
    extra = [stranger_id(960 + i) for i in range(3)]
    for number in extra:
        scan(page, number)
    page.wait_for_timeout(500)
    assert page.get_by_test_id("queue-count").inner_text() == "3"
    assert page.get_by_test_id("tube-count").inner_text() == "3"
    assert Sample.objects.count() == 10  # nothing reached the server
    screenshot(page, "screening-desk-offline")

    # back online; the first request's response is lost on the way back: the server wrote it, the
    # phone retries with the same key, and the server replays instead of writing twice
    lost = {"n": 0}

    def lose_first_response(route):
        if lost["n"] == 0:
            lost["n"] += 1
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/submit/", lose_first_response)
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_counts(page, 0, 14)
    assert Sample.objects.count() == 13
    assert SubmissionKey.objects.count() == 14
    assert SubmissionKey.objects.filter(scope="desk").count() == 14
    page.reload()
    page.wait_for_timeout(1000)
    assert page.get_by_test_id("queue-count").inner_text() == "0"
    assert Sample.objects.count() == 13
    screenshot(page, "screening-desk-synced")


def test_commander_opens_a_round_and_reads_its_pages(population, district_commander, login_page, live_server):
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/")
    page.get_by_test_id("new-round").click()
    page.fill("input[name=name]", "西园街道第1轮")
    page.fill("input[name=codes]", "620103001")
    page.get_by_test_id("round-form").get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("round-name").inner_text() == "西园街道第1轮"
    assert page.get_by_test_id("expected").inner_text() == "7"
    page.locator("details summary", has_text="添加采样点").click()
    page.get_by_test_id("site-form").locator("input[name=name]").fill("阳光小区采样点")
    page.get_by_test_id("site-form").locator("input[name=code]").fill(population["compound_a"].code)
    page.get_by_test_id("site-form").get_by_role("button").click()
    page.wait_for_load_state("networkidle")
    assert "阳光小区采样点" in page.get_by_test_id("site").inner_text()
    screenshot(page, "screening-round-phone")
    page.get_by_role("link", name="覆盖情况和漏检人员").click()
    assert "张*" in page.get_by_test_id("missed-list").inner_text()
    assert "11010519491231002X" not in page.content()
    screenshot(page, "screening-coverage-phone")
    for path, testid in [
        ("/screening/results/", "held"),
        ("/screening/follow-ups/", "follow-ups"),
        ("/screening/missed/?code=620103001", "missed-repeatedly"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.get_by_test_id(testid).count() == 1
    page.goto(f"{live_server.url}/screening/advisor/?percent=2")
    assert page.get_by_test_id("optimal-k").inner_text() == "8"
    screenshot(page, "screening-advisor-phone")


def test_positive_pool_follow_up_and_tasks_pages(desk, district_commander, login_page, live_server):
    from lianfang.screening.models import PoolFollowUp
    from lianfang.screening.services.results import ResultLine, results_record
    from lianfang.screening.tests.conftest import close, submit

    for number in RESIDENT_IDS[:2]:
        assert submit(district_commander, desk, "scan", number, tube="tube-pos")[0] == 201
    close(district_commander, desk, "tube-pos", "QLPOS0001")
    results_record(actor=district_commander, lines=[ResultLine(1, "QLPOS0001", "阳性", "Lab", "")], path="620103")
    fu = PoolFollowUp.objects.get()
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/")
    assert page.get_by_test_id("open-follow-ups").inner_text() == "1"
    page.goto(f"{live_server.url}/screening/follow-ups/{fu.pk}/")
    assert page.get_by_test_id("fu-tube").inner_text() == "QLPOS0001"
    assert page.get_by_test_id("fu-members").inner_text().count("就地管控，等待复核") == 2
    page.get_by_test_id("steps").get_by_role("button").first.click()
    page.wait_for_load_state("networkidle")
    assert fu.steps.get(kind="isolate").done_at is not None
    screenshot(page, "screening-follow-up-phone")
    page.goto(f"{live_server.url}/screening/rounds/{desk.round_id}/tasks/")
    tasks = page.get_by_test_id("tasks")
    assert tasks.inner_text().count("混管阳性单采复核") == 2
    tasks.get_by_role("link").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("tube-count").inner_text() == "0"
    screenshot(page, "screening-task-phone")


def test_screening_pages_fit_a_phone_in_english(desk, district_commander, login_page, live_server):
    """At 390 x 844 in English the sub-nav wraps within the page: no horizontal scrolling."""
    page = login_page(district_commander)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    for path in ("/screening/", f"/screening/rounds/{desk.round_id}/", "/screening/results/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    screenshot(page, "screening-results-phone-en")


def test_results_upload_of_another_communitys_tube_in_english(
    desk, district_commander, other_community_staff, login_page, live_server
):
    """上西园's staff upload a file naming 下西园's closed tube, an empty barcode and a time hours ahead:
    the page lists the three lines held (the tube as unknown), the tube keeps no result; the advisor
    names its pool sizes in English (10-in-1)."""
    import datetime as dt

    from django.utils import timezone

    from lianfang.screening.tests.test_results import fill, soon

    fill(district_commander, desk, RESIDENT_IDS[:2], "tube-b", "QLB0001")
    ahead = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    rows = [f"QLB0001,positive,Lab A,{soon()}", f",negative,Lab A,{soon()}", f"QLX9,negative,Lab A,{ahead}"]
    text = "Tube,Result,Lab,Time\n" + "\n".join(rows) + "\n"
    page = login_page(other_community_staff)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/screening/results/")
    form = page.get_by_test_id("upload-form")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "results.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    held = page.get_by_test_id("held").inner_text()
    for reason in ("Unknown tube", "No tube barcode", "Report time is in the future"):
        assert reason in held, held
    assert "3 lines: 0 applied, 0 already recorded, 3 held" in page.content()
    tube = Tube.objects.get(barcode="QLB0001")
    assert (tube.status, tube.result) == ("closed", "")
    screenshot(page, "screening-results-held-en")
    page.goto(f"{live_server.url}/screening/advisor/?percent=2")
    pools = page.get_by_test_id("options").inner_text()
    assert "10-in-1" in pools and "合1" not in pools
    screenshot(page, "screening-advisor-en")


def test_desk_a_sixteen_digit_scan_is_not_a_tube_barcode(desk, district_commander, login_page, live_server):
    """A misread ID (16 digits) never closes the open tube: the page sends it as a scan and shows the
    server's refusal naming what was scanned, masked; the tube keeps its person."""
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/desk/{desk.pk}/sample/")
    scan(page, RESIDENT_IDS[0])
    wait_counts(page, 0, 1)
    scan(page, "6201031985011500")
    page.wait_for_function(
        "() => /不是身份证号|is not an ID number/.test(document.querySelector('[data-testid=log]').textContent)",
        timeout=20_000,
    )
    log = page.get_by_test_id("log").inner_text()
    assert "6201031985011500" not in log and "6201********1500" in log
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    assert not Tube.objects.filter(status="closed").exists()
    assert Sample.objects.count() == 1


def wait_log(page, pattern):
    page.wait_for_function(
        "(p) => new RegExp(p).test(document.querySelector('[data-testid=log]').textContent)",
        arg=pattern,
        timeout=20_000,
    )


TAKEN = "已被其他采样管使用|already used by another tube"


@pytest.fixture
def taken_barcode(desk, district_commander):
    """QLTAKEN01, the barcode of another tube of the desk (closed with one person)."""
    from lianfang.screening.tests.conftest import close, submit

    assert submit(district_commander, desk, "scan", RESIDENT_IDS[1], tube="tube-other")[0] == 201
    assert close(district_commander, desk, "tube-other", "QLTAKEN01")[0] == 200
    return "QLTAKEN01"


def test_desk_a_barcode_of_another_tube_keeps_the_tube_open(
    desk, district_commander, taken_barcode, login_page, live_server
):
    """The new-user trial: one person scanned, the tube closed with a barcode another tube has. The
    server refuses (409); the page shows its message, never '已封管', and keeps the tube open with its
    person, so the next barcode closes that same tube with that person in it."""
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/desk/{desk.pk}/sample/")
    scan(page, RESIDENT_IDS[0])
    wait_counts(page, 0, 1)
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    closed_before = page.get_by_test_id("closed-tubes").inner_text()  # the other tube, from the server
    scan(page, taken_barcode)
    wait_counts(page, 0, 2)
    wait_log(page, TAKEN)
    log = page.get_by_test_id("log").inner_text()
    assert "已封管" not in log and "Tube closed" not in log
    assert "采样管仍未封管" in log or "still open" in log
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    assert page.get_by_test_id("tube-closing").inner_text() == ""
    assert page.get_by_test_id("closed-tubes").inner_text() == closed_before == "QLTAKEN01 · 1"
    open_tube = Tube.objects.get(status="open")
    assert open_tube.people == 1
    screenshot(page, "screening-desk-barcode-taken")

    scan(page, "QLFRESH01")
    wait_counts(page, 0, 3)
    wait_log(page, "已封管|closed")
    assert page.get_by_test_id("tube-count").inner_text() == "0"
    assert "QLFRESH01 · 1" in page.get_by_test_id("closed-tubes").inner_text()
    open_tube.refresh_from_db()
    assert (open_tube.status, open_tube.barcode, open_tube.people) == ("closed", "QLFRESH01", 1)
    sample = Sample.objects.get(tube=open_tube)
    assert sample.resident.id_masked.endswith("002X")
    assert not Tube.objects.filter(status="open").exists()


def test_desk_an_offline_close_refused_later_reopens_its_tube(
    desk, district_commander, taken_barcode, login_page, live_server
):
    """Offline, a close is queued and the next person goes into a new tube; when the server later
    refuses the close (barcode of another tube), the page re-opens the first tube with its person and
    shows the refusal; another barcode closes it, and the page goes back to the newer tube."""
    page = login_page(district_commander)
    page.goto(f"{live_server.url}/screening/desk/{desk.pk}/sample/")
    scan(page, RESIDENT_IDS[0])
    wait_counts(page, 0, 1)
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    scan(page, taken_barcode)
    page.wait_for_function("() => document.querySelector('[data-testid=tube-count]').textContent === '0'")
    scan(page, RESIDENT_IDS[2])
    page.wait_for_function("() => document.querySelector('[data-testid=queue-count]').textContent === '2'")
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    assert "已封管" not in page.get_by_test_id("log").inner_text()

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_counts(page, 0, 3)
    wait_log(page, TAKEN)
    assert "已封管" not in page.get_by_test_id("log").inner_text()
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    assert page.get_by_test_id("tube-people").inner_text().strip().endswith("002X")
    assert sorted(Tube.objects.filter(status="open").values_list("people", flat=True)) == [1, 1]

    scan(page, "QLFRESH02")
    wait_counts(page, 0, 4)
    first = Tube.objects.get(barcode="QLFRESH02")
    assert (first.status, first.people) == ("closed", 1)
    assert Sample.objects.get(tube=first).resident.id_masked.endswith("002X")
    # back to the newer tube, still open with its person
    assert page.get_by_test_id("tube-count").inner_text() == "1"
    assert page.get_by_test_id("tube-people").inner_text().strip().endswith("0012")
    assert Tube.objects.get(status="open").people == 1


def log_lines(page) -> list[str]:
    """The desk's log, newest first."""
    return page.get_by_test_id("log").locator("li").all_inner_texts()


def test_desk_log_keeps_one_clock_and_its_messages_start_as_sentences(
    desk, district_commander, login_page, live_server
):
    """New-user trial: an answer synced later was logged at the time it arrived while the queued line
    had the time of the scan, and the close message read 'tube … closed'. Every line now carries the
    device's local time (HH:MM:SS) at which its event happened, and messages start with a capital."""
    page = login_page(district_commander)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/screening/desk/{desk.pk}/sample/")
    page.context.set_offline(True)
    scan(page, RESIDENT_IDS[0])
    [queued] = log_lines(page)
    assert queued.endswith("Saved on this phone, will sync: 1101**********002X")
    scanned_at = queued[:8]
    assert scanned_at.count(":") == 2 and scanned_at.replace(":", "").isdigit()
    page.wait_for_timeout(2_100)  # the answer arrives seconds after the scan
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_counts(page, 0, 1)
    answered = log_lines(page)[0]
    assert "1101**********002X" in answered and answered[:8] == scanned_at  # the scan's time, not the answer's

    scan(page, "QLCLOCK01")
    wait_counts(page, 0, 2)
    wait_log(page, "Tube QLCLOCK01 closed")
    closed = log_lines(page)[0]
    assert closed[9:] == "Tube QLCLOCK01 closed"  # a sentence: capital first letter
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.reload()
    scan(page, RESIDENT_IDS[1])
    wait_counts(page, 0, 3)
    scan(page, "QLCLOCK02")
    wait_counts(page, 0, 4)
    wait_log(page, "采样管 QLCLOCK02 已封管")
    assert log_lines(page)[0][9:] == "采样管 QLCLOCK02 已封管"
