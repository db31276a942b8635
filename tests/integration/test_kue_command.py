"""``manage.py kue``: the operator's CLI, run with call_command against real Redis."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from django_kue.core import clock
from tests.conftest import REDIS_URL, ROOT
from tests.helpers import wait_until

pytestmark = pytest.mark.redis


def kue(*args):
    out = io.StringIO()
    call_command("kue", *args, stdout=out)
    return out.getvalue()


def columns(text):
    """The table's rows as lists of cells, split on the runs of spaces between columns."""
    lines = text.strip().split("\n")
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


def test_stats_is_a_table_per_type_and_state_with_totals(redis_queue):
    for _ in range(3):
        redis_queue.create("email").save()
    redis_queue.create("email", delay=60_000).save()
    redis_queue.create("video").save()
    out = kue("stats")
    lines = out.split("\n")
    assert lines[0].split() == ["type", "queued", "delayed", "active", "complete", "failed"]
    assert set(lines[1]) == {"-", " "}
    rows = {r[0]: r[1:] for r in columns(out)[2:5]}
    assert rows == {"email": ["3", "1", "0", "0", "0"], "video": ["1", "0", "0", "0", "0"],
                    "total": ["4", "1", "0", "0", "0"]}
    # numbers are right-aligned under their heading
    assert lines[0].index("queued") + len("queued") == lines[2].index("3") + 1
    assert "workers alive: 0" in out


def test_stats_watch_refreshes_until_its_count(redis_queue):
    redis_queue.create("email").save()
    out = kue("stats", "--watch", "0.01", "--count", "3")
    assert out.count("workers alive") == 3
    assert "every 0.01 s, Ctrl-C stops" in out


@pytest.mark.parametrize("args", [["stats", "--watch", "0"], ["stats", "--watch", "x"],
                                  ["stats", "--count", "1.5"], ["stats", "--count", "2.0"],
                                  ["jobs", "finished"],
                                  ["jobs", "failed", "--limit", "0"], ["remove"], ["frobnicate"]])
def test_bad_arguments_are_refused(redis_queue, args):
    with pytest.raises(CommandError):
        kue(*args)


def test_jobs_lists_a_state_with_type_filter_and_errors(redis_queue, worker_on):
    redis_queue.create("email", {"title": "welcome a@b.c"}, priority="high").save()
    redis_queue.create("video", {"title": "cat.mp4"}).save()
    bad = redis_queue.create("boom", {"title": "explodes"}).save()
    worker_on(redis_queue, {"boom": lambda job: 1 / 0})
    wait_until(lambda: redis_queue.failed_count() == 1)
    rows = columns(kue("jobs", "inactive"))
    assert rows[0] == ["id", "type", "title", "priority", "attempts", "created", "updated", "error"]
    assert [r[1:4] for r in rows[2:4]] == [["email", "welcome a@b.c", "high"], ["video", "cat.mp4", "normal"]]
    assert "2 of 2 queued job(s)" in kue("jobs", "inactive")
    out = kue("jobs", "inactive", "--type", "video", "--limit", "5")
    assert "cat.mp4" in out and "welcome" not in out and "1 of 1 queued job(s) of type video" in out
    failed = kue("jobs", "failed")
    assert str(bad.id) in failed and "division by zero" in failed and "1/1" in failed


def test_retry_by_id_and_all_failed(redis_queue, worker_on):
    failing = [redis_queue.create("boom").save() for _ in range(3)]
    redis_queue.create("other").save()
    worker = worker_on(redis_queue, {"boom": lambda job: 1 / 0})
    wait_until(lambda: redis_queue.failed_count() == 3)
    worker.stop()
    worker.thread.join(10)
    assert kue("retry", str(failing[0].id)) == f"queued again: 1 job(s) ({failing[0].id})\n"
    assert redis_queue.get_job(failing[0].id).state == "inactive"
    assert "queued again: 2 job(s)" in kue("retry", "--failed", "--type", "boom")
    assert redis_queue.failed_count() == 0 and redis_queue.inactive_count("boom") == 3


def test_retry_refuses_queued_jobs_and_unknown_ids_and_changes_nothing(redis_queue, worker_on):
    done = redis_queue.create("ok").save()
    worker = worker_on(redis_queue, {"ok": lambda job: None})
    wait_until(lambda: redis_queue.complete_count() == 1)
    worker.stop()
    worker.thread.join(10)
    queued = redis_queue.create("ok").save()
    with pytest.raises(CommandError, match=f"{queued.id} is inactive"):
        kue("retry", str(done.id), str(queued.id))
    with pytest.raises(CommandError, match="no job with id 999"):
        kue("retry", str(done.id), "999")
    with pytest.raises(CommandError, match="invalid job id"):
        kue("retry", "abc")
    with pytest.raises(CommandError, match="not both"):
        kue("retry", "--failed", str(done.id))
    with pytest.raises(CommandError, match="ids or --failed"):
        kue("retry")
    assert redis_queue.get_job(done.id).state == "complete"
    assert "queued again: 1" in kue("retry", str(done.id))  # a complete job may run again
    assert redis_queue.get_job(done.id).state == "inactive"


def test_remove_deletes_the_jobs_and_unknown_ids_change_nothing(redis_queue):
    a, b = redis_queue.create("email").save(), redis_queue.create("email").save()
    with pytest.raises(CommandError, match="no job with id 12345"):
        kue("remove", str(a.id), "12345")
    assert redis_queue.inactive_count() == 2
    assert kue("remove", str(a.id), str(b.id)) == f"removed: 2 job(s) ({a.id}, {b.id})\n"
    assert sum(redis_queue.counts().values()) == 0


def test_promote_named_delayed_jobs_or_every_due_one(redis_queue):
    later = redis_queue.create("email", delay=3_600_000).save()
    queued = redis_queue.create("email").save()
    with pytest.raises(CommandError, match=f"{queued.id} is inactive"):
        kue("promote", str(later.id), str(queued.id))
    assert redis_queue.get_job(later.id).state == "delayed"
    assert kue("promote") == "promoted: 0 job(s)\n"  # nothing due yet
    assert kue("promote", str(later.id)) == "promoted: 1 job(s)\n"
    assert redis_queue.get_job(later.id).state == "inactive"
    soon = redis_queue.create("email", delay=1).save()
    wait_until(lambda: redis_queue.get_job(soon.id).promote_at <= clock.now_ms())
    assert kue("promote") == "promoted: 1 job(s)\n"


def test_workers_lists_live_workers(redis_queue, worker_on):
    worker_on(redis_queue, {"email": lambda job: None}, concurrency=4)
    wait_until(lambda: "email×4" in kue("workers"))
    rows = columns(kue("workers"))
    assert rows[0] == ["host", "pid", "types", "active", "processed", "heartbeat"]
    assert rows[2][2] == "email×4"


def test_stats_watch_stops_cleanly_on_ctrl_c(redis_queue):
    env = {**os.environ, "KUE_REDIS_URL": REDIS_URL, "KUE_PREFIX": redis_queue.config.prefix}
    proc = subprocess.Popen([sys.executable, str(ROOT / "testproject" / "manage.py"), "kue", "stats",
                             "--watch", "0.05"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "every 0.05 s" in proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
