"""The wire formats without a server: Kue's job JSON byte for byte, POST /job's validation."""

from __future__ import annotations

import json

import fakeredis
import pytest

from django_kue.api.serializers import job_from_kue, kue_job, kue_stats
from django_kue.core.config import KueConfig
from django_kue.core.errors import InvalidJob, InvalidPriority, PayloadTooLarge
from django_kue.core.job import Job
from django_kue.core.queue import Queue

# shared/KUE.md 2.3: Kue's job JSON for a completed high-priority job, as Kue sends it
KUE_EXAMPLE = (
    '{"id":"3","type":"email","data":{"title":"welcome"},"priority":-10,"progress":"100",'
    '"state":"complete","created_at":"1309973155248","promote_at":"1309973155248",'
    '"updated_at":"1309973170250","started_at":"1309973155300","duration":"15002",'
    '"workerId":"kue:web1:4242:email:1","attempts":{"made":1,"remaining":0,"max":1}}'
)


def stored(**fields):
    base = {"type": "email", "data": '{"title":"welcome"}', "priority": "-10", "progress": "0",
            "state": "inactive", "created_at": "1309973155248", "promote_at": "1309973155248",
            "updated_at": "1309973155248", "attempts": "0", "max_attempts": "1"}
    return Job.from_hash(None, 3, {**base, **fields})


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_kue_job_json_byte_for_byte():
    job = stored(progress="100", state="complete", updated_at="1309973170250",
                 started_at="1309973155300", duration="15002", workerId="kue:web1:4242:email:1",
                 attempts="1")
    assert dumps(kue_job(job, string_id=True)) == KUE_EXAMPLE


def test_range_routes_send_numeric_ids():
    assert kue_job(stored())["id"] == 3
    assert kue_job(stored(), string_id=True)["id"] == "3"


def test_progress_zero_is_the_number_and_any_other_value_a_string():
    assert kue_job(stored())["progress"] == 0
    assert kue_job(stored(progress="50"))["progress"] == "50"


def test_optional_fields_appear_only_when_set_in_kue_order():
    job = stored(result='{"ok":1}', progress_data='{"step":2}', error="boom",
                 stack="Traceback...\nValueError: boom", failed_at="5", delay="100", ttl="200",
                 state="failed", attempts="2", max_attempts="3")
    body = kue_job(job)
    assert list(body) == ["id", "type", "data", "result", "priority", "progress", "progress_data",
                          "state", "error", "created_at", "promote_at", "updated_at", "failed_at",
                          "delay", "ttl", "attempts"]
    assert body["error"].startswith("Traceback")  # the stack when there is one
    assert (body["delay"], body["ttl"], body["failed_at"]) == ("100", "200", "5")
    assert body["attempts"] == {"made": 2, "remaining": 1, "max": 3}
    assert kue_job(stored(error="TTL exceeded"))["error"] == "TTL exceeded"


def test_stats_key_order_is_kues():
    body = kue_stats({"inactive": 4, "delayed": 7, "active": 2, "complete": 69, "failed": 0}, 20892)
    assert dumps(body) == ('{"inactiveCount":4,"completeCount":69,"activeCount":2,'
                           '"failedCount":0,"delayedCount":7,"workTime":20892}')


@pytest.fixture
def queue():
    return Queue(fakeredis.FakeRedis(), KueConfig(prefix="unit", max_payload=100))


def test_job_from_kue_maps_kues_option_names(queue):
    job = job_from_kue(queue, {"type": "email", "data": {"a": 1}, "options": {
        "priority": "high", "attempts": 2, "delay": "86400", "ttl": 10, "backoff": True,
        "searchKeys": ["a"], "removeOnComplete": True}})
    assert (job.priority, job.max_attempts, job.delay, job.ttl, job.backoff) == (-10, 2, 86400, 10, True)
    assert job.search_keys == ("a",) and job.remove_on_complete and job.id is None


def test_job_from_kue_null_options_are_not_given(queue):
    job = job_from_kue(queue, {"type": "email", "data": None, "options": {"delay": None}})
    assert job.data == {} and job.delay == 0


@pytest.mark.parametrize("item, error", [
    ([], InvalidJob), ({"type": None}, InvalidJob), ({"type": "e", "data": 3}, InvalidJob),
    ({"type": "e", "options": {"priority": "urgent"}}, InvalidPriority),
    ({"type": "e", "data": {"x": "a" * 200}}, PayloadTooLarge),
    ({"type": "e", "options": {"searchKeys": [], "search_keys": []}}, InvalidJob),
])
def test_job_from_kue_refuses(queue, item, error):
    with pytest.raises(error):
        job_from_kue(queue, item)
