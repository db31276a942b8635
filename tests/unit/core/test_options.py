"""Kue's job options, validated once for create(), @kue_job and the API: bad input is refused
with a clear error, times are milliseconds (a timedelta or, for delay, a datetime works too)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from django_kue.core import clock
from django_kue.core.errors import InvalidJob, InvalidPriority
from django_kue.core.options import MAX_MS, JobOptions, make, normalize


def test_defaults_are_kues():
    o = JobOptions()
    assert (o.priority, o.attempts, o.backoff, o.delay, o.ttl) == (0, 1, None, 0, 0)
    assert o.remove_on_complete is False and o.search_keys is None


def test_every_option_at_once():
    o = make(priority="high", attempts=5, backoff={"type": "exponential", "delay": 1000,
                                                    "maxDelay": 60_000},
             delay=dt.timedelta(seconds=2), ttl=30_000, remove_on_complete=True,
             search_keys=["to", "title"])
    assert o.priority == -10 and o.attempts == 5 and o.delay == 2000 and o.ttl == 30_000
    assert o.backoff == {"type": "exponential", "delay": 1000, "maxDelay": 60_000}
    assert o.remove_on_complete is True and o.search_keys == ("to", "title")


def test_unknown_option_is_refused_by_name():
    with pytest.raises(InvalidJob, match="unknown job option.*priorty"):
        normalize({"priorty": "high"})


@pytest.mark.parametrize("value", ["urgent", 1.5, True, None, "1e3"])
def test_bad_priority(value):
    with pytest.raises(InvalidPriority):
        make(priority=value)


@pytest.mark.parametrize("name", ["delay", "ttl"])
@pytest.mark.parametrize("value", [-1, -0.5, math.nan, math.inf, "soon", "1.5s", [], {},
                                   True, MAX_MS + 1, dt.timedelta(seconds=-1)])
def test_bad_times(name, value):
    with pytest.raises(InvalidJob, match=name):
        make(**{name: value})


@pytest.mark.parametrize("name", ["delay", "ttl"])
@pytest.mark.parametrize("value, ms", [(0, 0), (None, 0), (250, 250), (2.7, 2), ("300", 300),
                                       (dt.timedelta(minutes=1), 60_000)])
def test_good_times(name, value, ms):
    assert getattr(make(**{name: value}), name) == ms


def test_delay_takes_a_datetime_as_time_from_now():
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    assert 9_000 < make(delay=at).delay <= 10_000
    naive_local = dt.datetime.now() + dt.timedelta(seconds=5)
    assert 4_000 < make(delay=naive_local).delay <= 5_000


def test_a_past_datetime_means_no_delay_as_in_kue():
    assert make(delay=dt.datetime.fromtimestamp(clock.now_ms() / 1000 - 60)).delay == 0


def test_ttl_takes_no_datetime():
    with pytest.raises(InvalidJob, match="ttl"):
        make(ttl=dt.datetime.now())


@pytest.mark.parametrize("value", [0, -1, 1.5, "x", True, None, 1_000_001])
def test_bad_attempts(value):
    with pytest.raises(InvalidJob, match="attempts"):
        make(attempts=value)


def test_attempts_as_number_or_digits():
    assert make(attempts=3).attempts == 3
    assert make(attempts="4").attempts == 4


def _custom(attempts, delay):
    return delay * attempts


@pytest.mark.parametrize("value, stored, hash_value", [
    (True, True, "true"),
    (False, False, ""),
    (None, None, ""),
    ({"type": "fixed", "delay": 100}, {"type": "fixed", "delay": 100}, '{"type":"fixed","delay":100}'),
    ({"delay": dt.timedelta(seconds=1)}, {"type": "fixed", "delay": 1000},
     '{"type":"fixed","delay":1000}'),
    ({"type": "exponential"}, {"type": "exponential"}, '{"type":"exponential"}'),
    ({"type": "exponential", "delay": 50, "maxDelay": 100},
     {"type": "exponential", "delay": 50, "maxDelay": 100},
     '{"type":"exponential","delay":50,"maxDelay":100}'),
    (_custom, _custom, '{"type":"function"}'),
])
def test_backoff_shapes(value, stored, hash_value):
    o = make(backoff=value)
    assert o.backoff == stored
    assert o.backoff_json == hash_value


@pytest.mark.parametrize("value, message", [
    ({"type": "linear"}, "backoff type"),
    ({"type": "function"}, "backoff type"),
    ({"type": "fixed", "delay": -5}, "backoff delay"),
    ({"type": "exponential", "maxDelay": "never"}, "backoff maxDelay"),
    ({"type": "fixed", "jitter": 3}, "unknown backoff key"),
    (100, "backoff must be"),
    ("exponential", "backoff must be"),
])
def test_bad_backoff(value, message):
    with pytest.raises(InvalidJob, match=message):
        make(backoff=value)


@pytest.mark.parametrize("value, keys", [("to", ("to",)), (["a", "b.c"], ("a", "b.c")), (None, None)])
def test_search_keys(value, keys):
    assert make(search_keys=value).search_keys == keys


@pytest.mark.parametrize("value", [[""], [1], "", 5, {"to": 1}])
def test_bad_search_keys(value):
    with pytest.raises(InvalidJob, match="search_keys"):
        make(search_keys=value)


@pytest.mark.parametrize("value", [1, "yes", None])
def test_remove_on_complete_must_be_a_bool(value):
    with pytest.raises(InvalidJob, match="remove_on_complete"):
        make(remove_on_complete=value)


def test_merged_validates_and_keeps_the_rest():
    base = make(priority="low", attempts=3)
    changed = base.merged(priority="critical")
    assert (changed.priority, changed.attempts) == (-15, 3)
    assert base.priority == 10  # frozen: the original is untouched
    with pytest.raises(InvalidJob):
        base.merged(attempts=0)
