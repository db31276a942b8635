"""The dashboard in a real browser: live counts and progress, infinite scroll, search, log,
retry and remove, and the admin login in front of it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect

from tests.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.redis]

DASHBOARD = "/admin/django_kue/dashboard/"


def stepper(job):
    """Ten visible steps of progress, then done."""
    for step in range(1, 11):
        time.sleep(0.25)
        job.progress(step, 10)
    job.log("all %d steps done", 10)
    return {"steps": 10}


def test_anonymous_is_sent_to_the_admin_login(page, live_server):
    page.goto(f"{live_server.url}{DASHBOARD}")
    assert "/admin/login/" in page.url


def test_a_job_moves_through_its_states_with_progress(staff_page, live_server, redis_queue,
                                                      worker_on, artifacts):
    job = redis_queue.create("browser.step", {"title": "watch me"}).save()
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    row = page.locator(f"#kue-rows tr[data-id='{job.id}']")
    expect(row).to_contain_text("watch me")
    expect(page.locator("[data-count=inactive]")).to_have_text("1")
    row.click()
    detail = page.locator("#kue-detail")
    expect(detail).to_contain_text("inactive")

    worker_on(redis_queue, {"browser.step": stepper}, idle_wait=100)
    expect(detail.locator("dd").first).to_have_text("active")
    bar = page.locator("#kue-detail-progress")
    seen = set()

    def progress_rose():
        value = int(bar.get_attribute("aria-valuenow") or 0)
        seen.add(value)
        return len([v for v in seen if 0 < v < 100]) >= 2

    wait_until(progress_rose, timeout=10, interval=0.1, message="the progress bar to rise")
    page.screenshot(path=str(artifacts / "dashboard-progress.png"), full_page=True)
    expect(detail.locator("dd").first).to_have_text("complete", timeout=15_000)
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#kue-detail-log")).to_contain_text("all 10 steps done")
    expect(page.locator("[data-count=complete]")).to_have_text("1")


def test_infinite_scroll_reaches_the_end_of_5000_jobs(staff_page, live_server, redis_queue, artifacts):
    redis_queue.create_many([("browser.bulk", {"title": f"job {i}"}) for i in range(5000)])
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    rows = page.locator("#kue-rows tr")
    expect(rows.first).to_be_visible()
    deadline = time.monotonic() + 90
    while rows.count() < 5000 and time.monotonic() < deadline:
        page.mouse.wheel(0, 20_000)
        page.wait_for_timeout(50)
    assert rows.count() == 5000
    expect(rows.last).to_contain_text("job 4999")
    page.screenshot(path=str(artifacts / "dashboard-scrolled.png"))


def test_search_narrows_the_list(staff_page, live_server, redis_queue):
    for name in ("alpha report", "beta report", "alpha invoice"):
        redis_queue.create("browser.search", {"title": name}).save()
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    expect(page.locator("#kue-rows tr")).to_have_count(3)
    page.fill("#kue-search", "alpha")
    expect(page.locator("#kue-rows tr")).to_have_count(2)
    page.fill("#kue-search", "alpha invoice")
    expect(page.locator("#kue-rows tr")).to_have_count(1)
    expect(page.locator("#kue-rows tr")).to_contain_text("alpha invoice")


def test_open_a_jobs_log(staff_page, live_server, redis_queue):
    job = redis_queue.create("browser.log", {"title": "logged"}).save()
    job.log("first line <b>not bold</b>")
    job.log("second line %d", 2)
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    page.locator(f"#kue-rows tr[data-id='{job.id}']").click()
    log = page.locator("#kue-detail-log li")
    expect(log).to_have_count(2)
    expect(log.first).to_have_text("first line <b>not bold</b>")  # escaped, not rendered


def test_retry_a_failed_job_and_remove_another(staff_page, live_server, redis_queue, artifacts):
    failed = redis_queue.create("browser.act", {"title": "retry me"}).save()
    doomed = redis_queue.create("browser.act", {"title": "remove me"}).save()
    failed.set_state("failed")
    doomed.set_state("failed")
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=failed")
    page.locator(f"#kue-rows tr[data-id='{failed.id}']").click()
    expect(page.locator("#kue-detail-title")).to_contain_text("retry me")
    page.locator("#kue-detail button", has_text="Retry").click()
    page.locator("#kue-confirm-ok").click()
    wait_until(lambda: redis_queue.get_job(failed.id).state == "inactive", message="the retry")
    expect(page.locator(f"#kue-rows tr[data-id='{failed.id}']")).to_have_count(0)

    page.locator(f"#kue-rows tr[data-id='{doomed.id}']").click()
    expect(page.locator("#kue-detail-title")).to_contain_text("remove me")
    page.locator("#kue-detail button", has_text="Remove").click()
    page.screenshot(path=str(artifacts / "dashboard-confirm.png"))
    page.locator("#kue-confirm-ok").click()
    wait_until(lambda: doomed.id not in redis_queue.ids_by_state("failed"), message="the removal")
    assert not redis_queue.client.exists(redis_queue.keys.job(doomed.id))
    expect(page.locator("[data-count=failed]")).to_have_text("0")


def test_bulk_retry_of_a_selection(staff_page, live_server, redis_queue):
    jobs = [redis_queue.create("browser.bulkact", {"title": f"b{i}"}).save() for i in range(3)]
    for job in jobs:
        job.set_state("failed")
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=failed")
    for job in jobs[:2]:
        page.locator(f"#kue-rows tr[data-id='{job.id}'] input[type=checkbox]").check()
    expect(page.locator("#kue-selected")).to_have_text("2 selected")
    page.locator("#kue-bulk button", has_text="Retry").click()
    page.locator("#kue-confirm-ok").click()
    wait_until(lambda: redis_queue.counts()["inactive"] == 2, message="the bulk retry")
    assert redis_queue.get_job(jobs[2].id).state == "failed"


def test_phone_width_and_dark_theme_render(staff_page, live_server, redis_queue, artifacts):
    redis_queue.create("browser.look", {"title": "small screen"}).save()
    page = staff_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    expect(page.locator("#kue-rows tr")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page overflows a phone's width ({width}px)"
    page.screenshot(path=str(artifacts / "dashboard-phone-dark.png"), full_page=True)


def test_the_workers_panel_lists_live_workers(staff_page, live_server, redis_queue, worker_on):
    worker = worker_on(redis_queue, {"browser.step": stepper}, concurrency=2)
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}")
    page.click("#kue-workers summary")
    row = page.locator(f"#kue-workers-rows tr[data-worker='{worker.id}']")
    expect(row).to_contain_text("browser.step×2")
    expect(row).to_contain_text(str(os.getpid()))
    expect(page.locator("#kue-workers-count")).to_have_text("1")
    worker.stop()
    worker.thread.join(10)
    expect(row).to_have_count(0)
    expect(page.locator("#kue-workers-count")).to_have_text("0")
