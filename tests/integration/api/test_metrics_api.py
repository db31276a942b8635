"""GET /kue/metrics (Prometheus text, staff or a bearer token) and GET /kue/workers."""

from __future__ import annotations

import os
import re
import threading

import pytest
from django.core.checks import run_checks
from rest_framework.test import APIClient

from django_kue.connection import get_queue
from django_kue.mirror import Mirror
from tests.helpers import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db]
TOKEN = "s3cret-scraper-token-0123"
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="([^"\\\n]|\\.)*",?)*\})? '
                    r'-?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \+Inf$')


def samples(text):
    """{'name{labels}': value} after checking every line is valid exposition format."""
    found = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert SAMPLE.match(line), f"not exposition format: {line!r}"
        key, _, value = line.rpartition(" ")
        found[key] = float(value)
    return found


def test_metrics_report_jobs_counters_durations_and_workers(api, redis_queue, worker_on):
    release = threading.Event()
    redis_queue.create("email").save()
    redis_queue.create("email").save()
    redis_queue.create('we"ird\\type').save()
    worker_on(redis_queue, {"email": lambda job: release.wait(10)})
    wait_until(lambda: redis_queue.active_count("email") == 1)
    response = api.get("/kue/metrics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.content.decode()
    assert "# TYPE kue_job_duration_seconds histogram" in text
    found = samples(text)
    assert found['kue_jobs{type="email",state="active"}'] == 1
    assert found['kue_jobs{type="email",state="inactive"}'] == 1
    assert found['kue_jobs{type="we\\"ird\\\\type",state="inactive"}'] == 1
    wait_until(lambda: samples(api.get("/kue/metrics").content.decode()).get("kue_workers_alive") == 1)
    release.set()
    wait_until(lambda: redis_queue.complete_count("email") == 2)
    found = samples(api.get("/kue/metrics").content.decode())
    assert found['kue_jobs_completed_total{type="email"}'] == 2
    assert "kue_mirror_lag_seconds" not in found  # no mirror ever followed this queue
    Mirror(redis_queue).ensure_group()
    redis_queue.create("sms").save()  # an event the mirror has not applied
    found = samples(api.get("/kue/metrics").content.decode())
    assert found["kue_mirror_lag_seconds"] >= 0
    assert found['kue_job_duration_seconds_count{type="email"}'] == 2
    assert found['kue_job_duration_seconds_bucket{type="email",le="+Inf"}'] == 2


def test_a_bearer_token_lets_a_scraper_in_and_nothing_else(db, redis_queue, settings):
    client = APIClient()
    assert client.get("/kue/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code in (401, 403)
    settings.KUE = {**settings.KUE, "METRICS_TOKEN": TOKEN}
    assert client.get("/kue/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    for wrong in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", ""):
        assert client.get("/kue/metrics", HTTP_AUTHORIZATION=wrong).status_code in (401, 403)
    # the token opens /metrics only
    assert client.get("/kue/workers", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code in (401, 403)
    assert client.get("/kue/stats", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code in (401, 403)


@pytest.mark.parametrize("token", ["short", 123, ""])
def test_a_weak_or_wrong_metrics_token_is_a_check_error(settings, token):
    settings.KUE = {**settings.KUE, "METRICS_TOKEN": token}
    assert any("METRICS_TOKEN" in m.msg for m in run_checks())


def test_workers_lists_each_live_worker(api, redis_queue, worker_on, settings):
    settings.KUE = {**settings.KUE, "LEASE": 600}  # a heartbeat every 200 ms
    redis_queue = get_queue()
    release = threading.Event()
    job = redis_queue.create("email").save()
    worker = worker_on(redis_queue, {"email": lambda job: release.wait(10)}, concurrency=2)
    wait_until(lambda: api.get("/kue/workers").json())
    try:
        [record] = api.get("/kue/workers/").json()
        assert record["id"] == worker.id and record["pid"] == os.getpid()
        assert record["types"] == {"email": 2}
        assert record["heartbeat_age_ms"] >= 0 and record["heartbeat_at"] > 0
        wait_until(lambda: api.get("/kue/workers").json()[0]["jobs"] == [job.id])
    finally:
        release.set()
    worker.stop()
    worker.thread.join(10)
    assert api.get("/kue/workers").json() == []
