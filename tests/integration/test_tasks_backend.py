"""Django's Tasks framework on django-kue (KueBackend), driven through the framework's own API
(``@task``, ``.enqueue``, ``.using``, ``.get_result``, ``.aenqueue``) against real Redis."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from django_kue import tasks_compat as tasks
from django_kue.backends import exception_path
from django_kue.core import HandlerSpec
from django_kue.registry import handler_specs
from testproject.testjobs import task_functions as fns
from tests.helpers import wait_until

pytestmark = pytest.mark.skipif(not tasks.AVAILABLE, reason="django-tasks is not installed")
Status = tasks.TaskResultStatus


def run_tasks(worker_on, queue, type_="task.default", concurrency=2):
    spec = handler_specs([type_])[0]
    return worker_on(queue, [HandlerSpec(spec.type, spec.fn, concurrency)])


def finished(result):
    def check():
        result.refresh()
        return result.is_finished
    wait_until(check, message=f"task {result.id} to finish")
    return result


def test_enqueue_saves_a_kue_job_and_get_result_follows_it_to_success(redis_queue, worker_on):
    result = fns.add.enqueue(2, 3)
    job = redis_queue.get_job(result.id)
    assert (job.type, job.state) == ("task.default", "inactive")
    assert job.data["task"] == "testproject.testjobs.task_functions.add"
    assert (job.data["args"], job.data["kwargs"]) == ([2, 3], {})
    fresh = fns.add.get_result(result.id)
    assert fresh.status == Status.READY and fresh.enqueued_at is not None
    with pytest.raises(ValueError):
        fresh.return_value  # noqa: B018  (not finished yet)
    run_tasks(worker_on, redis_queue)
    finished(result)
    assert result.status == Status.SUCCESSFUL
    assert result.return_value == 5
    assert result.errors == [] and result.attempts == 1 and result.worker_ids[0]
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.finished_at.tzinfo is not None


def test_a_raising_task_is_failed_with_its_exception_class_and_traceback(redis_queue, worker_on):
    result = fns.decline.enqueue(30)
    run_tasks(worker_on, redis_queue)
    finished(result)
    assert result.status == Status.FAILED
    [error] = result.errors
    assert error.exception_class_path == "testproject.testjobs.task_functions.PaymentDeclined"
    assert error.exception_class is fns.PaymentDeclined
    assert "declined: 30" in error.traceback and "Traceback" in error.traceback
    with pytest.raises(ValueError, match="failed"):
        result.return_value  # noqa: B018


def test_builtin_exceptions_get_a_builtins_path():
    stack = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    g()\nKeyError: \'a\'\n'
    assert exception_path(stack) == "builtins.KeyError"
    multi = stack.replace("KeyError: 'a'", "pkg.mod.Bad: line one\nline two")
    assert exception_path(multi) == "pkg.mod.Bad"


def test_higher_django_priority_runs_first(redis_queue, worker_on):
    low = fns.stamp.using(priority=-10).enqueue("low")
    normal = fns.stamp.enqueue("normal")
    high = fns.stamp.using(priority=50).enqueue("high")
    assert redis_queue.get_job(high.id).priority == -50  # Kue: lower runs first
    assert fns.stamp.get_result(high.id).task.priority == 50
    run_tasks(worker_on, redis_queue, concurrency=1)
    done = [finished(r) for r in (low, normal, high)]
    order = sorted(done, key=lambda r: r.return_value["at"])
    assert [r.return_value["label"] for r in order] == ["high", "normal", "low"]


def test_run_after_delays_the_task(redis_queue, worker_on):
    run_after = datetime.now(UTC) + timedelta(milliseconds=400)
    result = fns.add.using(run_after=run_after).enqueue(1, 1)
    assert redis_queue.get_job(result.id).state == "delayed"
    assert fns.add.get_result(result.id).status == Status.READY
    run_tasks(worker_on, redis_queue)
    finished(result)
    assert result.return_value == 2
    assert result.started_at >= run_after - timedelta(milliseconds=5)


def test_queue_name_is_the_job_type_and_unknown_queues_are_refused(redis_queue, worker_on):
    result = fns.send_email.enqueue("a@b.c")
    assert redis_queue.get_job(result.id).type == "task.emails"
    with pytest.raises(tasks.InvalidTaskError, match="nope"):
        fns.add.using(queue_name="nope")
    assert redis_queue.counts()["inactive"] == 1  # nothing else saved
    run_tasks(worker_on, redis_queue, "task.emails")
    assert finished(result).return_value == {"sent": "a@b.c"}


def test_takes_context_gets_its_result_id_and_attempt(redis_queue, worker_on):
    result = fns.with_context.enqueue("hi")
    run_tasks(worker_on, redis_queue)
    assert finished(result).return_value == {"id": result.id, "attempt": 1, "word": "hi"}


def test_aenqueue_and_aget_result(redis_queue, worker_on):
    async def go():
        queued = await fns.add.aenqueue(20, 22)
        again = await fns.add.aget_result(queued.id)
        return queued, again

    with ThreadPoolExecutor(1) as pool:  # a loop of its own: Playwright may run one in this thread
        queued, again = pool.submit(lambda: asyncio.run(go())).result(30)
    assert again.id == queued.id and again.status == Status.READY
    run_tasks(worker_on, redis_queue)
    assert finished(queued).return_value == 42


def test_an_async_task_function_runs_in_the_worker(redis_queue, worker_on):
    result = fns.async_add.enqueue(3, 4)
    run_tasks(worker_on, redis_queue)
    assert finished(result).return_value == 7


def test_arguments_that_are_not_json_are_refused_and_nothing_is_saved(redis_queue):
    with pytest.raises((TypeError, ValueError)):
        fns.add.enqueue(object(), 1)
    assert sum(redis_queue.counts().values()) == 0


@pytest.mark.parametrize("result_id", ["999999", "abc", "", "-1"])
def test_unknown_result_ids_do_not_exist(redis_queue, result_id):
    with pytest.raises(tasks.TaskResultDoesNotExist):
        fns.add.get_result(result_id)


def test_a_plain_kue_job_is_not_a_task_result(redis_queue):
    job = redis_queue.create("email", {"to": "x"}).save()
    with pytest.raises(tasks.TaskResultDoesNotExist):
        fns.add.get_result(str(job.id))


@pytest.mark.parametrize(("path", "words"), [
    ("testproject.testjobs.task_functions.not_a_task", "not a @task"),
    ("os.system", "not a @task"),
    ("antigravity.fly", "not in an installed app"),
    ("testproject.testjobs.nowhere.add", "cannot be imported"),
])
def test_a_forged_job_cannot_call_anything_but_a_task(redis_queue, worker_on, path, words):
    job = redis_queue.create("task.default", {"task": path, "args": ["echo pwned"], "kwargs": {}}).save()
    run_tasks(worker_on, redis_queue)
    wait_until(lambda: redis_queue.get_job(job.id).state == "failed")
    assert words in redis_queue.get_job(job.id).error


def test_the_frameworks_signals_fire(redis_queue, worker_on):
    seen = []

    def record(signal_name):
        return lambda sender, task_result, **kw: seen.append((signal_name, task_result.status))

    receivers = {name: record(name) for name in ("enqueued", "started", "finished")}
    tasks.task_enqueued.connect(receivers["enqueued"])
    tasks.task_started.connect(receivers["started"])
    tasks.task_finished.connect(receivers["finished"])
    try:
        result = fns.add.enqueue(1, 2)
        run_tasks(worker_on, redis_queue)
        finished(result)
        wait_until(lambda: len(seen) == 3)
    finally:
        tasks.task_enqueued.disconnect(receivers["enqueued"])
        tasks.task_started.disconnect(receivers["started"])
        tasks.task_finished.disconnect(receivers["finished"])
    assert seen == [("enqueued", Status.READY), ("started", Status.RUNNING),
                    ("finished", Status.SUCCESSFUL)]


def test_runkueworker_runs_tasks(redis_queue, worker_process):
    results = [fns.add.enqueue(i, i) for i in range(5)] + [fns.send_email.enqueue("z@z.z")]
    proc = worker_process("--burst")
    assert proc.wait(60) == 0, proc.stdout.read()
    assert [fns.add.get_result(r.id).return_value for r in results[:5]] == [0, 2, 4, 6, 8]
    assert fns.send_email.get_result(results[5].id).status == Status.SUCCESSFUL


@pytest.mark.parametrize(("options", "words"), [
    ({"CONCURRENCY": 0}, "CONCURRENCY"), ({"CONCURRENCY": "4"}, "CONCURRENCY"),
    ({"ATTEMPTS": True}, "ATTEMPTS"), ({"RETRIES": 3}, "unknown key 'RETRIES'"),
])
def test_bad_backend_options_are_check_errors(settings, options, words):
    settings.TASKS = {"default": {"BACKEND": "django_kue.backends.KueBackend", "OPTIONS": options}}
    errors = [m for m in tasks.task_backends["default"].check() if m.id == "django_kue.E010"]
    assert len(errors) == 1 and words in errors[0].msg


def test_good_backend_options_pass_the_check(settings):
    settings.TASKS = {"default": {"BACKEND": "django_kue.backends.KueBackend",
                                  "OPTIONS": {"CONCURRENCY": 8, "ATTEMPTS": 3}}}
    assert list(tasks.task_backends["default"].check()) == []


def test_attempts_option_gives_task_jobs_kue_retries(redis_queue, settings):
    settings.TASKS = {"default": {"BACKEND": "django_kue.backends.KueBackend",
                                  "QUEUES": ["default", "emails"], "OPTIONS": {"ATTEMPTS": 3}}}
    result = fns.add.enqueue(1, 2)
    assert redis_queue.get_job(result.id).max_attempts == 3
