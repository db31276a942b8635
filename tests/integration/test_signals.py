"""Every Kue event as a Django signal, sent in the process where it happens (remote=False),
with Kue's event arguments; per-job listeners (job.on); progress throttling."""

from __future__ import annotations

import threading

import pytest

from django_kue import signals
from django_kue.core import KueError
from django_kue.core.errors import InvalidJob
from django_kue.core.events import read
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db


class Recorder:
    """Connects to every signal and keeps (signal name, sender, kwargs) in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object, dict]] = []
        self._lock = threading.Lock()
        self._receivers = []
        for name in ("job_enqueue", "job_start", "job_promotion", "job_progress",
                     "job_failed_attempt", "job_failed", "job_complete", "job_remove",
                     "queue_error"):
            def receive(sender, signal=None, _name=name, **kwargs):
                with self._lock:
                    self.seen.append((_name, sender, kwargs))
            getattr(signals, name).connect(receive, weak=False)
            self._receivers.append((getattr(signals, name), receive))

    def of(self, name: str, job_id: int | None = None) -> list[dict]:
        with self._lock:
            return [kw for n, _s, kw in self.seen if n == name
                    and (job_id is None or kw.get("job_id") == job_id)]

    def names(self, job_id: int) -> list[str]:
        with self._lock:
            return [n for n, _s, kw in self.seen if kw.get("job_id") == job_id]

    def close(self) -> None:
        for signal, receive in self._receivers:
            signal.disconnect(receive)


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.close()


def test_enqueue_on_save(queue, recorder):
    job = queue.create("email", {"to": "a@b.c"}).save()
    assert recorder.of("job_enqueue") == [{"job_id": job.id, "type": "email", "remote": False}]
    assert recorder.seen[0][1] == "email"  # the sender is the job's type


def test_start_progress_complete_with_their_arguments(queue, recorder, start_worker):
    def handler(job):
        job.progress(1, 2, {"step": "half"})
        return {"sent": True}

    job = queue.create("email", {"to": "a@b.c"}).save()
    start_worker({"email": handler})
    wait_until(lambda: recorder.of("job_complete", job.id))
    assert recorder.names(job.id) == ["job_enqueue", "job_start", "job_progress", "job_complete"]
    assert recorder.of("job_start", job.id) == [{"job_id": job.id, "type": "email", "remote": False}]
    assert recorder.of("job_progress", job.id) == [
        {"job_id": job.id, "type": "email", "remote": False, "progress": 50, "data": {"step": "half"}}]
    assert recorder.of("job_complete", job.id) == [
        {"job_id": job.id, "type": "email", "remote": False, "result": {"sent": True}}]


def test_failed_attempt_then_failed(queue, recorder, start_worker):
    def handler(job):
        raise RuntimeError(f"boom {job.attempts_made}")

    job = queue.create("email", {}, attempts=2).save()
    start_worker({"email": handler})
    wait_until(lambda: recorder.of("job_failed", job.id))
    assert recorder.of("job_failed_attempt", job.id) == [
        {"job_id": job.id, "type": "email", "remote": False, "error": "boom 0", "attempts_made": 1}]
    assert recorder.of("job_failed", job.id) == [
        {"job_id": job.id, "type": "email", "remote": False, "error": "boom 1"}]
    # the retry went back to inactive: a second enqueue and a second start
    assert recorder.names(job.id) == ["job_enqueue", "job_start", "job_failed_attempt", "job_enqueue",
                                      "job_start", "job_failed"]


def test_promotion_of_a_delayed_job(queue, recorder, start_worker):
    job = queue.create("email", {}, delay=30).save()
    assert recorder.of("job_enqueue", job.id) == []  # delayed, not queued
    start_worker({"email": lambda job: None})
    wait_until(lambda: recorder.of("job_complete", job.id))
    assert recorder.names(job.id)[:3] == ["job_promotion", "job_enqueue", "job_start"]
    assert recorder.of("job_promotion", job.id) == [{"job_id": job.id, "type": "email", "remote": False}]
    assert recorder.of("job_complete", job.id)[0]["result"] is None


def test_remove(queue, recorder):
    job = queue.create("email", {}).save()
    job.remove()
    assert recorder.of("job_remove", job.id) == [{"job_id": job.id, "type": "email", "remote": False}]


def test_remove_on_complete_sends_complete_then_remove(queue, recorder, start_worker):
    job = queue.create("email", {}, remove_on_complete=True).save()
    start_worker({"email": lambda job: 7})
    wait_until(lambda: recorder.of("job_remove", job.id))
    assert recorder.names(job.id)[-2:] == ["job_complete", "job_remove"]
    assert recorder.of("job_complete", job.id)[0]["result"] == 7


def test_retry_by_hand_is_an_enqueue(queue, recorder):
    job = queue.create("email", {}).save()
    job.failed()
    job.inactive()
    assert recorder.names(job.id) == ["job_enqueue", "job_enqueue"]


def test_sender_filter_is_a_per_type_listener(queue):
    heard = []

    def receive(sender, **kwargs):
        heard.append(kwargs["job_id"])

    signals.job_enqueue.connect(receive, sender="video")
    try:
        queue.create("email", {}).save()
        video = queue.create("video", {}).save()
    finally:
        signals.job_enqueue.disconnect(receive, sender="video")
    assert heard == [video.id]


def test_a_failing_receiver_does_not_undo_or_break_the_change(queue, caplog):
    def broken(sender, **kwargs):
        raise ValueError("receiver bug")

    signals.job_enqueue.connect(broken)
    try:
        job = queue.create("email", {}).save()
    finally:
        signals.job_enqueue.disconnect(broken)
    assert queue.get_job(job.id).state == "inactive"
    assert "receiver bug" in caplog.text


def test_no_receiver_no_events_handed_back(queue):
    """With nobody listening, scripts reply as before (no cost on the hot path)."""
    from django_kue.core import events

    assert not events.collecting()
    assert queue.create("email", {}).save().id


# -- per-job listeners ----------------------------------------------------------------------

def test_job_on_hears_its_own_job_only(queue, start_worker):
    heard = []
    job = queue.create("email", {"n": 1})
    job.on("start", lambda type_: heard.append(("start", type_)))
    job.on("progress", lambda percent, data: heard.append(("progress", percent, data)))
    job.on("complete", lambda result: heard.append(("complete", result)))
    job.save()
    other = queue.create("email", {"n": 2}).save()

    def handler(j):
        j.progress(3, 4)
        return j.data["n"]

    start_worker({"email": handler})
    wait_until(lambda: queue.get_job(other.id).state == "complete")
    wait_until(lambda: ("complete", 1) in heard)
    assert heard == [("start", "email"), ("progress", 75, None), ("complete", 1)]


def test_job_on_failed_and_failed_attempt(queue, start_worker):
    heard = []
    job = (queue.create("email", {}, attempts=2)
           .on("failed attempt", lambda error, made: heard.append(("attempt", error, made)))
           .on("failed", lambda error: heard.append(("failed", error)))
           .save())

    def handler(j):
        raise RuntimeError("nope")

    start_worker({"email": handler})
    wait_until(lambda: len(heard) == 2)
    assert heard == [("attempt", "nope", 1), ("failed", "nope")]
    assert queue.get_job(job.id).state == "failed"


def test_job_on_after_save_and_listeners_are_dropped_when_done(queue):
    from django_kue.core.follow import job_listeners

    heard = []
    job = queue.create("email", {}).save()
    job.on("remove", heard.append)
    assert job_listeners.watching(queue.config.prefix)
    job.remove()
    assert heard == ["email"]
    assert not job_listeners.watching(queue.config.prefix)


def test_job_on_refuses_bad_input(queue):
    job = queue.create("email", {})
    with pytest.raises(InvalidJob, match="unknown job event"):
        job.on("finished", print)
    with pytest.raises(InvalidJob, match="callable"):
        job.on("complete", "print")


def test_job_events_off_refuses_job_on(queue, settings):
    settings.KUE = {**settings.KUE, "JOB_EVENTS": False}
    from django_kue import get_queue

    job = get_queue().create("email", {})
    with pytest.raises(KueError, match="JOB_EVENTS"):
        job.on("complete", print)


# -- progress throttling ----------------------------------------------------------------------

def test_progress_in_a_tight_loop_does_not_flood_redis(queue, start_worker, recorder):
    def handler(job):
        for i in range(1, 20_001):
            job.progress(i, 20_000)
        return "done"

    job = queue.create("email", {}).save()
    start_worker({"email": handler})
    wait_until(lambda: recorder.of("job_complete", job.id), timeout=30)
    progress = [e for e in read(queue, "0-0", count=100_000) if e.event == "progress"]
    assert 1 <= len(progress) < 200  # throttled to one write per PROGRESS_INTERVAL
    assert len(recorder.of("job_progress", job.id)) == len(progress)
    assert queue.get_job(job.id).progress() == 100


def test_sender_filter_with_a_dotted_type_name(queue):
    import sys

    heard = []

    def receive(sender, **kwargs):
        heard.append(kwargs["job_id"])

    signals.job_enqueue.connect(receive, sender=sys.intern("t.echo"))
    try:
        job = queue.create("t" + ".echo", {}).save()
    finally:
        signals.job_enqueue.disconnect(receive, sender=sys.intern("t.echo"))
    assert heard == [job.id]
