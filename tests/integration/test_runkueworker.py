"""``manage.py runkueworker``: in process with call_command (behaviour, argument validation) and
as real subprocesses (``--processes``, SIGTERM).

The handlers are the t.* ones of testproject/testjobs/tasks.py, importable by every process.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from testproject.testjobs.tasks import sleep_job
from tests.helpers import wait_until


def run(*args):
    call_command("runkueworker", "--no-mirror", *args, verbosity=0)


def states(queue, jobs):
    return [queue.get_job(job.id).state for job in jobs]


def test_burst_runs_the_registered_handlers(queue):
    echoes = [queue.create("t.echo", {"n": n}).save() for n in range(3)]
    noop = queue.create("noop").save()
    run("--burst")
    assert states(queue, [*echoes, noop]) == ["complete"] * 4
    assert [queue.get_job(job.id).result for job in echoes] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_types_limits_what_the_worker_takes(queue):
    echo = queue.create("t.echo", {"n": 1}).save()
    noop = queue.create("noop").save()
    run("--burst", "--types=t.echo")
    assert states(queue, [echo, noop]) == ["complete", "inactive"]


def test_an_unknown_type_is_a_command_error_and_runs_nothing(queue):
    echo = queue.create("t.echo").save()
    with pytest.raises(CommandError, match="no @kue_job handler is registered for type 'nope'"):
        run("--burst", "--types=t.echo,nope")
    assert states(queue, [echo]) == ["inactive"]


@pytest.mark.parametrize("args, words", [
    (["--types=,"], "at least one job type"),
    (["--concurrency=0"], "at least 1"),
    (["--concurrency=many"], "not an integer"),
    (["--processes=0"], "at least 1"),
    (["--max-jobs=-2"], "must not be negative"),
    (["--shutdown-timeout=soon"], "not an integer"),
])
def test_bad_arguments_are_refused(queue, args, words):
    echo = queue.create("t.echo").save()
    with pytest.raises(CommandError, match=words):
        run("--burst", *args)
    assert states(queue, [echo]) == ["inactive"]


def test_a_zero_shutdown_timeout_is_allowed(queue):
    echo = queue.create("t.echo").save()
    run("--burst", "--shutdown-timeout=0")
    assert states(queue, [echo]) == ["complete"]


def spans(queue, jobs):
    out = []
    for job in jobs:
        stored = queue.get_job(job.id)
        assert stored.state == "complete"
        out.append((stored.started_at, stored.started_at + stored.duration))
    return sorted(out)


def test_concurrency_one_runs_jobs_one_after_another(queue):
    jobs = [queue.create("t.sleep", {"seconds": 0.15}).save() for _ in range(3)]
    run("--burst", "--types=t.sleep", "--concurrency=1")
    spans_ = spans(queue, jobs)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans_, spans_[1:])), spans_


def test_concurrency_overrides_the_handlers_own(queue):
    """t.sleep's @kue_job says 4; --concurrency=3 runs three at once, no more."""
    jobs = [queue.create("t.sleep", {"seconds": 0.4}).save() for _ in range(4)]
    run("--burst", "--types=t.sleep", "--concurrency=3")
    spans_ = spans(queue, jobs)
    first_three, last = spans_[:3], spans_[3]
    assert max(start for start, _ in first_three) < min(end for _, end in first_three)  # overlap
    assert last[0] >= min(end for _, end in first_three)  # the fourth waited for a free slot


def test_max_jobs_stops_after_that_many(queue):
    jobs = [queue.create("t.echo", {"n": n}).save() for n in range(5)]
    run("--types=t.echo", "--max-jobs=2", "--concurrency=1")  # no --burst: max-jobs alone ends it
    assert sorted(states(queue, jobs)) == ["complete"] * 2 + ["inactive"] * 3
    assert queue.counts()["active"] == 0  # nothing claimed beyond the limit is left stuck


def test_the_signal_handlers_are_given_back(queue):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    queue.create("t.echo").save()
    run("--burst")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_processes_run_jobs_in_several_pids_and_stop_on_sigterm(redis_queue, worker_process):
    queue = redis_queue
    supervisor = worker_process("--processes=2", "--types=t.sleep", "--no-mirror")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(supervisor.stdout), daemon=True)
    reader.start()
    wait_until(lambda: sum("started: t.sleep" in line for line in lines) >= 2
               or supervisor.poll() is not None, timeout=60, message="two worker processes")
    assert supervisor.poll() is None, "".join(lines)
    # 8 one-second jobs and 4 slots per process: one process alone cannot hold them all
    jobs = [queue.create("t.sleep", {"seconds": 1}).save() for _ in range(8)]
    wait_until(lambda: states(queue, jobs) == ["complete"] * 8, timeout=60)
    pids = {queue.get_job(job.id).result["pid"] for job in jobs}
    assert len(pids) == 2 and supervisor.pid not in pids and os.getpid() not in pids

    # SIGTERM drains: the jobs running now complete, then every process exits
    running = [queue.create("t.sleep", {"seconds": 1.5}).save() for _ in range(2)]
    wait_until(lambda: states(queue, running) == ["active"] * 2, timeout=10)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(30) == 0
    assert states(queue, running) == ["complete"] * 2
    wait_until(lambda: all(gone(pid) for pid in pids), timeout=10, message="the children to exit")
    reader.join(10)
    assert sum("stopped after" in line for line in lines) == 2, "".join(lines)


@pytest.mark.slow
def test_sigterm_fails_what_outlives_the_shutdown_timeout(redis_queue, worker_process):
    """Kue's graceful shutdown: stop taking jobs, wait --shutdown-timeout ms, then fail the
    jobs still running with reason 'shutdown'; with attempts left they are queued again."""
    queue = redis_queue
    worker = worker_process("--types=t.sleep", "--no-mirror", "--shutdown-timeout=300")
    job = sleep_job.enqueue({"seconds": 30})  # with t.sleep's @kue_job defaults: attempts=3
    wait_until(lambda: queue.get_job(job.id).state == "active" or worker.poll() is not None,
               timeout=60, message="the job to start")
    assert worker.poll() is None, worker.stdout.read()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    stored = queue.get_job(job.id)
    assert stored.state == "inactive"
    assert (stored.attempts_made, stored.max_attempts) == (1, 3)
    assert stored.error == "shutdown"


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def mirror_rows(db) -> dict[int, str]:
    import sqlite3

    with sqlite3.connect(db) as con:
        try:
            return dict(con.execute("SELECT id, state FROM django_kue_jobrecord").fetchall())
        except sqlite3.OperationalError:  # no table yet
            return {}


@pytest.fixture
def mirror_db(tmp_path):
    """A migrated SQLite file for runkueworker subprocesses (KUE_SQLITE) to mirror into."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    db = tmp_path / "mirror.sqlite3"
    subprocess.run([sys.executable, str(ROOT / "testproject" / "manage.py"), "migrate", "-v", "0"],
                   env={**os.environ, "KUE_SQLITE": str(db)}, check=True)
    return db


def wait_completed_and_mirrored(queue, jobs, process, db) -> None:
    """Every job completes while ``process`` keeps running, then the mirror's rows say so."""
    wait_until(lambda: states(queue, jobs) == ["complete"] * len(jobs) or process.poll() is not None,
               timeout=60, message="the jobs to complete")
    assert process.poll() is None, process.stdout.read()
    wait_until(lambda: mirror_rows(db) == {j.id: "complete" for j in jobs}, timeout=30,
               message="the mirror's rows")


@pytest.mark.slow
def test_the_mirror_syncs_from_a_child_process_that_dies_with_its_worker(redis_queue, worker_process,
                                                                        mirror_db):
    """manage.py runkueworker syncs the mirror from a child process (forked before the worker's
    threads start; off the worker's GIL); SIGKILL the worker and the child goes too, leaving no
    syncer behind."""
    db = mirror_db
    queue = redis_queue
    jobs = queue.create_many([("t.echo", {"n": n}) for n in range(20)])
    worker = worker_process("--types=t.echo", env={"KUE_SQLITE": str(db)})
    wait_completed_and_mirrored(queue, jobs, worker, db)
    kids = children(worker.pid)
    assert len(kids) == 1  # forked: named kue-mirror; spawned: manage.py kuemirror
    assert Path(f"/proc/{kids[0]}/comm").read_text().strip() == "kue-mirror" \
        or "kuemirror" in Path(f"/proc/{kids[0]}/cmdline").read_text()
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    wait_until(lambda: gone(kids[0]), timeout=10, message="the mirror process to stop with its worker")


def test_the_worker_still_checks_the_kue_settings_at_start(queue, settings):
    """runkueworker runs django_kue's own checks (not the URL/admin ones: a faster start)."""
    from django.core.management.base import SystemCheckError

    settings.KUE = {**settings.KUE, "PERFIX": "typo"}
    with pytest.raises(SystemCheckError, match="PERFIX"):
        call_command("runkueworker", "--burst", "--no-mirror", verbosity=0, skip_checks=False)


@pytest.mark.slow
def test_processes_sync_the_mirror_in_the_supervisor(redis_queue, worker_process, mirror_db):
    """--processes N: the workers run with --no-mirror and the supervisor, idle otherwise,
    syncs the mirror (one syncer, no extra process)."""
    db = mirror_db
    queue = redis_queue
    supervisor = worker_process("--processes=2", "--types=t.echo", env={"KUE_SQLITE": str(db)})
    jobs = queue.create_many([("t.echo", {"n": n}) for n in range(10)])
    wait_completed_and_mirrored(queue, jobs, supervisor, db)
    workers = children(supervisor.pid)
    assert len(workers) == 2
    assert all("--no-mirror" in Path(f"/proc/{pid}/cmdline").read_text() for pid in workers)
    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(30) == 0
