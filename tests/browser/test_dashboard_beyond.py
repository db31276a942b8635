"""The dashboard shows what Kue never had (cancel, dependencies) and cancels a job."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.redis]

DASHBOARD = "/admin/django_kue/dashboard/"


def test_cancel_a_queued_job_and_see_a_dependency(staff_page, live_server, redis_queue, artifacts):
    parent = redis_queue.create("browser.fetch", {"title": "fetch it"}).save()
    child = redis_queue.create("browser.merge", {"title": "merge it"}, depends_on=[parent]).save()
    page = staff_page
    page.goto(f"{live_server.url}{DASHBOARD}?state=delayed")
    page.locator(f"#kue-rows tr[data-id='{child.id}']").click()
    expect(page.locator("#kue-detail")).to_contain_text(f"#{parent.id} (1 to complete)")
    page.screenshot(path=str(artifacts / "dashboard-dependency.png"))

    page.goto(f"{live_server.url}{DASHBOARD}?state=inactive")
    page.locator(f"#kue-rows tr[data-id='{parent.id}']").click()
    expect(page.locator("#kue-detail")).to_contain_text(f"#{child.id}")
    page.locator("#kue-detail button", has_text="Cancel").click()
    page.locator("#kue-confirm-ok").click()
    wait_until(lambda: redis_queue.get_job(parent.id).state == "failed", message="the cancel")
    assert redis_queue.get_job(parent.id).cancelled
    assert redis_queue.get_job(child.id).error == f"dependency {parent.id} cancelled"
