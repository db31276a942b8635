"""Job: Kue's log formatting, progress arithmetic and throttling, field validation, loading."""

from __future__ import annotations

import math
import uuid

import fakeredis
import pytest

from django_kue.core import KueConfig, Queue
from django_kue.core.errors import InvalidJob
from django_kue.core.job import Job, format_log


@pytest.fixture
def fake_queue():
    def build(**config):
        return Queue(fakeredis.FakeRedis(), KueConfig(prefix=f"u-{uuid.uuid4().hex[:6]}", **config))
    return build


# Kue's test.coffee "should log with a sprintf-style string", then its util.format cases.
@pytest.mark.parametrize("fmt, args, line", [
    ("this is %s number %d", ("test", 1), "this is test number 1"),
    ("%s and %s", ("a",), "a and %s"),  # a placeholder without its argument stays
    ("%s", ("a", "b", 3), "a b 3"),  # arguments left over are appended
    ("100%% of %s", ("jobs",), "100% of jobs"),
    ("100%%", (), "100%%"),  # no arguments: the string as written (util.format too)
    ("%d items", ("12",), "12 items"),
    ("%d items", ("many",), "NaN items"),
    ("%i", (3.9,), "3"),
    ("%f", (1.5,), "1.5"),
    ("%j", ({"a": [1, 2]},), '{"a":[1,2]}'),
    ("%o and %O", ([1], {"b": None}), '[1] and {"b":null}'),
    ("%x stays", (1,), "%x stays 1"),
    ("plain", (), "plain"),
    (None, (), "null"),
    ({"a": 1}, (), '{"a":1}'),
    ([1, "two"], (), '[1,"two"]'),
    (42, (), "42"),
    (1.5, (7,), "1.5 7"),
    (math.nan, (), "NaN"),
    (True, (False,), "true false"),
    (RuntimeError("boom"), (), "RuntimeError: boom"),
    ("é %s", ("ü",), "é ü"),
])
def test_format_log_follows_util_format(fmt, args, line):
    assert format_log(fmt, args) == line


def test_log_lines_land_in_order(fake_queue):
    queue = fake_queue()
    job = queue.create("email").save()
    job.log("this is %s number %d", "test", 1)
    job.log({"html": "<b>ok</b>"})
    assert job.logs() == ["this is test number 1", '{"html":"<b>ok</b>"}']


@pytest.mark.parametrize("completed, total, percent", [
    (1, 2, 50), (1, 3, 33), (2, 3, 66), (3, 3, 100), (5, 2, 100), (0, 10, 0),
    (1, 0, 0), (0.5, 1, 50), (999, 1000, 99), (-1, 2, -50),
])
def test_progress_percent_is_kues_arithmetic(fake_queue, completed, total, percent):
    job = fake_queue().create("video").save()
    assert job.progress(completed, total) == percent
    assert job.refresh().progress() == percent


def test_progress_is_throttled_and_flushed(fake_queue):
    queue = fake_queue(progress_interval=60_000)
    job = queue.create("video").save()
    field = lambda: int(queue.client.hget(queue.keys.job(job.id), "progress"))  # noqa: E731
    job.progress(1, 10, {"frame": 1})
    job.progress(2, 10, {"frame": 2})  # within the interval: kept for the heartbeat
    assert field() == 10
    job.flush_progress()
    assert field() == 20
    assert job.refresh().progress_data == {"frame": 2}
    job.progress(3, 10)
    job.progress(10, 10)  # 100 % is never held back
    assert field() == 100


def test_progress_data_must_be_json(fake_queue):
    job = fake_queue().create("video").save()
    with pytest.raises(InvalidJob, match="progress data is not JSON-serialisable"):
        job.progress(1, 2, {"when": object()})


@pytest.mark.parametrize("type_", ["", "   ", None, 7, "a\nb", "tab\there", "x" * 201])
def test_a_job_needs_a_sane_type(type_):
    with pytest.raises(InvalidJob, match="type"):
        Job(None, type_)


@pytest.mark.parametrize("data", [[1], "text", 5])
def test_data_must_be_an_object(data):
    with pytest.raises(InvalidJob, match="JSON object"):
        Job(None, "email", data)


def test_fields_and_kue_accessors(fake_queue):
    job = fake_queue().create("email", {"title": 42, "to": "a@b.c"}, priority="high", attempts=3)
    assert job.id is None and job.data == {"title": 42, "to": "a@b.c"}
    assert job.title == "42" and job.priority == -10 and job.max_attempts == 3
    assert job.attempts_remaining == 3
    assert Job(None, "email").title is None and Job(None, "email").data == {}


def test_unsaved_job_cannot_be_changed_in_redis(fake_queue):
    job = fake_queue().create("email")
    for call in (job.remove, job.refresh, lambda: job.log("x"), lambda: job.set_state("failed")):
        with pytest.raises(InvalidJob, match="not saved"):
            call()


def test_saved_job_round_trips_through_the_hash(fake_queue):
    queue = fake_queue()
    saved = queue.create("email", {"to": "a@b.c"}, priority=-3, attempts=4, ttl=5000, delay=100,
                         backoff={"type": "fixed", "delay": 20}, remove_on_complete=True,
                         search_keys=["to"]).save()
    loaded = queue.get_job(saved.id)
    assert loaded.to_dict() | {"updated_at": None} == saved.to_dict() | {"updated_at": None,
                                                                          "error": None}
    assert loaded.options == saved.options
    assert loaded.state == "delayed" and loaded.promote_at == loaded.created_at + 100
