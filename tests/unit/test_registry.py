"""@kue_job: registration, defaults merged into enqueue, .using(), and refusals at import time.

Handlers are module-level here because the decorator refuses any other kind: a worker process
must be able to import them.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from django_kue import Priority, get_queue, kue_job
from django_kue.core.errors import InvalidJob
from django_kue.registry import JobType, get_job_type, handler_specs, registered, unregister
from testproject.demo.tasks import send_email


def greet(job):
    return f"hello {job.data['name']}"


def greet_again(job):
    return "another function"


def with_ctx(job, ctx):
    return None


@pytest.fixture
def types(kue_types):
    """kue_types, and the bare ``@kue_job`` type some tests register (named after greet)."""
    yield kue_types
    unregister("greet")


def test_called_decorator_returns_a_job_type(types):
    job_type = types("r.greet", concurrency=3, attempts=4)(greet)
    assert isinstance(job_type, JobType)
    assert (job_type.type, job_type.fn, job_type.concurrency) == ("r.greet", greet, 3)
    assert job_type.options.attempts == 4
    assert registered()["r.greet"] is job_type
    assert get_job_type("r.greet") is job_type
    assert job_type.fn(type("J", (), {"data": {"name": "kue"}})()) == "hello kue"


def test_bare_decorator_uses_the_function_name(types):
    job_type = kue_job(greet)
    assert job_type.type == "greet"
    assert job_type.concurrency == 1
    assert "greet" in registered()


def test_name_defaults_to_the_function_name_when_called_without_one(types):
    job_type = kue_job(concurrency=2)(greet)
    assert (job_type.type, job_type.concurrency) == ("greet", 2)


def test_the_job_type_is_not_callable():
    """A forgotten .enqueue must fail loudly instead of running the job in the caller."""
    with pytest.raises(TypeError):
        send_email({"to": "a@b.c"})


def test_enqueue_merges_defaults_with_call_options(types, queue):
    job_type = types("r.merge", attempts=5, priority="high", backoff={"type": "exponential"},
                     ttl=2000)(greet)
    job = job_type.enqueue({"name": "x"}, priority="low", delay=60_000)
    stored = get_queue().get_job(job.id)
    assert stored.type == "r.merge"
    assert stored.data == {"name": "x"}
    assert stored.priority == Priority.LOW == 10  # the call wins over the default
    assert stored.max_attempts == 5  # the default stays
    assert stored.backoff == {"type": "exponential"}
    assert stored.ttl == 2000
    assert stored.state == "delayed"
    assert queue.counts()["delayed"] == 1


def test_using_returns_a_modified_copy(types, queue):
    job_type = types("r.using", attempts=2, concurrency=1)(greet)
    urgent = job_type.using(priority="critical", concurrency=7)
    assert urgent is not job_type
    assert (urgent.concurrency, urgent.options.priority, urgent.options.attempts) == (7, -15, 2)
    assert (job_type.concurrency, job_type.options.priority) == (1, 0)  # original untouched
    assert registered()["r.using"] is job_type
    stored = get_queue().get_job(urgent.enqueue({"name": "y"}).id)
    assert (stored.priority, stored.max_attempts) == (-15, 2)


def test_using_refuses_bad_options(types):
    job_type = types("r.using_bad")(greet)
    with pytest.raises(InvalidJob):
        job_type.using(attempts=0)
    with pytest.raises(InvalidJob):
        job_type.using(concurrency=0)
    with pytest.raises(InvalidJob):
        job_type.using(retries=3)


def test_enqueue_refuses_bad_options_and_saves_nothing(types, queue):
    job_type = types("r.bad_call")(greet)
    with pytest.raises(InvalidJob):
        job_type.enqueue({"name": "x"}, priority="urgent-ish")
    assert sum(queue.counts().values()) == 0


def test_a_duplicate_type_is_improperly_configured(types):
    types("r.dup")(greet)
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        kue_job("r.dup")(greet_again)
    assert registered()["r.dup"].fn is greet


def test_registering_the_same_function_again_is_allowed(types):
    """A module imported twice (autodiscover, then a direct import) registers the same handler."""
    first = types("r.again")(greet)
    second = kue_job("r.again")(greet)
    assert second.fn is first.fn


def test_the_demo_types_cannot_be_taken_by_another_handler():
    with pytest.raises(ImproperlyConfigured, match="email"):
        kue_job("email")(greet)
    assert registered()["email"] is send_email


def test_a_nested_handler_is_refused():
    def inner(job):
        return None

    with pytest.raises(ImproperlyConfigured, match="module-level"):
        kue_job("r.nested")(inner)
    assert "r.nested" not in registered()


@pytest.mark.parametrize("options, words", [
    ({"attempts": 0}, "attempts"),
    ({"priority": "soon"}, "priority"),
    ({"backoff": {"type": "linear"}}, "backoff"),
    ({"delay": -5}, "delay"),
    ({"retries": 3}, "unknown job option"),
    ({"concurrency": 0}, "concurrency"),
    ({"concurrency": "4"}, "concurrency"),
])
def test_bad_options_are_refused_at_import(options, words):
    with pytest.raises(ImproperlyConfigured, match=words):
        kue_job("r.badopts", **options)(greet)
    assert "r.badopts" not in registered()


@pytest.mark.parametrize("name", ["", "   ", "a\nb", 42, "x" * 201])
def test_bad_type_names_are_refused(name):
    with pytest.raises(ImproperlyConfigured):
        kue_job(name)(greet)
    assert name not in registered()


def test_a_non_callable_handler_is_refused():
    with pytest.raises(ImproperlyConfigured, match="not callable"):
        kue_job("r.notcallable")(42)
    assert "r.notcallable" not in registered()


def test_a_custom_backoff_callable_reaches_the_worker_spec(types):
    def backoff(attempts, delay):
        return 100 * attempts

    job_type = types("r.backoff", attempts=3, backoff=backoff)(with_ctx)
    spec = job_type.spec
    assert spec.backoff is backoff
    assert spec.takes_ctx
    assert job_type.options.backoff_json == '{"type":"function"}'


def test_handler_specs_for_the_worker(types):
    types("r.spec", concurrency=5)(greet)
    by_type = {s.type: s for s in handler_specs()}
    assert by_type["r.spec"].concurrency == 5
    assert {"email", "video", "flaky", "report"} <= set(by_type)
    assert [s.type for s in handler_specs(["r.spec"])] == ["r.spec"]
    with pytest.raises(InvalidJob, match="no @kue_job handler"):
        handler_specs(["r.spec", "r.missing"])

