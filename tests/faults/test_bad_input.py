"""Bad input fails the one job (or request) it belongs to, with a clear error, and never the
worker: a result JSON cannot carry, a job hash corrupted in Redis by hand, a 10 MB payload.

The API's own property test (no request gets a 5xx, a refused request writes nothing) is
``tests/integration/api/test_fuzz.py``; it runs in the same default pytest run.
"""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from django_kue.core.errors import PayloadTooLarge
from django_kue.mirror import Mirror
from django_kue.models import JobRecord
from tests.helpers import wait_until

MB = 1024 * 1024


def echo(job):
    return job.data


def test_a_result_json_cannot_carry_fails_the_attempt_with_a_clear_error(redis_queue, worker_on):
    worker_on(redis_queue, {"odd": lambda job: {"when": {1, 2}}, "echo": echo})
    job = redis_queue.create("odd", attempts=2).save()
    wait_until(lambda: job.refresh().state == "failed", 10, 0.02)
    assert job.attempts_made == 2
    assert job.error.startswith("job result is not JSON-serialisable") and "set" in job.error
    after = redis_queue.create("echo", {"still": "alive"}).save()
    wait_until(lambda: after.refresh().state == "complete", 10, 0.02)  # the worker carries on


@pytest.mark.parametrize("field, value, says", [
    ("data", "{not json", "cannot be read from Redis"),
    ("data", "[1, 2]", "job data must be a JSON object"),
    ("priority", "high-ish", "cannot be read from Redis"),
    ("backoff", "{", "cannot be read from Redis"),
])
def test_a_job_corrupted_in_redis_fails_instead_of_killing_the_worker(redis_queue, worker_on,
                                                                      field, value, says):
    bad = redis_queue.create("echo", {"n": 1}, attempts=3).save()
    redis_queue.client.hset(redis_queue.keys.job(bad.id), field, value)
    worker = worker_on(redis_queue, {"echo": echo}, concurrency=2)
    wait_until(lambda: redis_queue.ids_by_state("failed") == [bad.id], 10, 0.02,
               "the corrupted job to fail")
    raw = {k.decode(): v.decode() for k, v in redis_queue.client.hgetall(redis_queue.keys.job(bad.id)).items()}
    assert says in raw["error"] and raw["attempts"] == "3"  # each attempt failed the same way
    assert redis_queue.counts()["active"] == 0
    good = redis_queue.create("echo", {"n": 2}).save()
    wait_until(lambda: good.refresh().state == "complete", 10, 0.02)
    assert worker.thread.is_alive() and good.result == {"n": 2}


def test_a_job_whose_type_was_changed_by_hand_is_not_run_by_this_worker(redis_queue, worker_on):
    ran = []
    bad = redis_queue.create("echo", {"n": 1}, attempts=3).save()
    redis_queue.client.hset(redis_queue.keys.job(bad.id), "type", "os.system")
    worker = worker_on(redis_queue, {"echo": lambda job: ran.append(job.id)})
    wait_until(lambda: "does not handle" in (bad.refresh().error or ""), 10, 0.02)
    assert bad.state == "inactive" and bad.type == "os.system"  # waits for a worker of its type
    good = redis_queue.create("echo").save()
    wait_until(lambda: good.refresh().state == "complete", 10, 0.02)
    assert ran == [good.id] and worker.thread.is_alive()


@pytest.mark.django_db
def test_a_corrupted_job_does_not_stop_the_mirror_or_the_job_lists(redis_queue):
    mirror = Mirror(redis_queue)
    mirror.ensure_group()
    jobs = [redis_queue.create("echo", {"n": n}).save() for n in range(3)]
    redis_queue.client.hset(redis_queue.keys.job(jobs[1].id), "data", "{not json")
    jobs[2].set_priority("high")  # an event naming a healthy job after the corrupted one
    mirror.catch_up()
    assert sorted(JobRecord.objects.values_list("id", flat=True)) == [jobs[0].id, jobs[2].id]
    assert [j.id for j in redis_queue.range_by_state("inactive", 0, -1)] == [jobs[2].id, jobs[0].id]


def test_a_10_mb_payload_is_refused_by_default_and_nothing_is_written(redis_queue):
    with pytest.raises(PayloadTooLarge, match="limit is 1048576"):
        redis_queue.create("echo", {"blob": "x" * (10 * MB)}).save()
    assert redis_queue.client.get(redis_queue.keys.ids) is None
    assert redis_queue.counts() == dict.fromkeys(redis_queue.counts(), 0)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/kue/job", "/kue/api/jobs/"])
def test_a_10_mb_post_gets_413_and_writes_nothing(redis_queue, django_user_model, path):
    client = APIClient()
    client.force_login(django_user_model.objects.create_superuser("s", password="pw"))
    body = json.dumps({"type": "echo", "data": {"blob": "x" * (10 * MB)}})
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 413 and "error" in response.json()
    assert redis_queue.client.get(redis_queue.keys.ids) is None


@pytest.mark.django_db
def test_a_corrupted_job_gets_a_json_error_from_the_api_and_can_be_removed(redis_queue,
                                                                          django_user_model):
    client = APIClient()
    client.force_login(django_user_model.objects.create_superuser("s", password="pw"))
    bad = redis_queue.create("echo", {"n": 1}).save()
    redis_queue.client.hset(redis_queue.keys.job(bad.id), "data", "{not json")
    for path in (f"/kue/job/{bad.id}", f"/kue/api/jobs/{bad.id}/"):
        response = client.get(path)
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert "cannot be read from Redis" in response.json()["error"]
    assert client.get("/kue/jobs/inactive/0..10").json() == []  # listed pages skip it
    assert client.delete(f"/kue/job/{bad.id}").status_code == 200
    assert not redis_queue.client.exists(redis_queue.keys.job(bad.id))
