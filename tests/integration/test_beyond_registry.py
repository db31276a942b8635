"""@kue_job's rate_limit / cron / every, KUE["PERIODIC"] and its system check, and the
type's unique_key honoured by enqueue(), on real Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from django_kue import kue_job, periodic
from django_kue.core.ratelimit import RateLimit
from django_kue.registry import unregister

pytestmark = pytest.mark.redis


def report(job):
    return None


@pytest.fixture
def types(kue_types):
    """Registers ``report`` under a test's type name (unregistered afterwards)."""
    return lambda name, *args, **kwargs: kue_types(name, *args, **kwargs)(report)


def test_rate_limit_reaches_the_worker_spec(types):
    job_type = types("t.rl", rate_limit="10/m", concurrency=2)
    assert job_type.spec.rate_limit == RateLimit(10, 60_000)
    assert job_type.spec.claim_arg(5) == "5:10:60000"


@pytest.mark.parametrize("kwargs, words", [
    ({"rate_limit": "ten a minute"}, "rate_limit"),
    ({"cron": "61 * * * *"}, "out of 0-59"),
    ({"every": dt.timedelta(milliseconds=10)}, "at least 1 second"),
    ({"cron": "* * * * *", "every": 1000}, "either cron or every"),
])
def test_bad_options_fail_at_import_time(types, kwargs, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        types("t.bad", **kwargs)


def test_schedules_come_from_kue_job_and_settings(types, settings, redis_queue):
    types("t.every", every=dt.timedelta(minutes=1), priority="high", attempts=3)
    settings.KUE = {**settings.KUE, "PERIODIC": {
        "nightly": {"type": "t.report", "cron": "0 3 * * *", "data": {"kind": "all"}}}}
    found = {s.name: s for s in periodic.schedules()}
    assert found["t.every"].every == 60_000
    assert found["t.every"].options == {"priority": -10, "attempts": 3}
    assert found["nightly"].cron.expression == "0 3 * * *" and found["nightly"].data == {"kind": "all"}


@pytest.mark.parametrize("value, words", [
    ({"x": {"type": "a"}}, "either cron or every"),
    ({"x": {"type": "a", "every": 1000, "when": 1}}, "unknown key"),
    ({"x": "daily"}, "must be a dict"),
    ([1], "must be a dict"),
])
def test_the_system_check_reports_bad_periodic_settings(settings, value, words):
    settings.KUE = {**settings.KUE, "PERIODIC": value}
    messages = [m for m in run_checks() if m.id == "django_kue.E002"]
    assert len(messages) == 1 and words in messages[0].msg


def test_enqueue_honours_the_types_unique_key(types, redis_queue):
    job_type = kue_job("t.uniq", unique_key=lambda data: data["user"])(report)
    try:
        first = job_type.enqueue({"user": "u1"})
        assert job_type.enqueue({"user": "u1"}).id == first.id
        assert job_type.enqueue({"user": "u2"}).id != first.id
    finally:
        unregister("t.uniq")


def test_a_settings_schedule_may_not_reuse_a_types_schedule_name(types, settings):
    types("t.clash", every=60_000)
    settings.KUE = {**settings.KUE, "PERIODIC": {"t.clash": {"type": "x", "every": 60_000}}}
    messages = [m for m in run_checks() if m.id == "django_kue.E002"]
    assert len(messages) == 1 and "has this name already" in messages[0].msg
