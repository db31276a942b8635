"""The job mirror: synced from the event stream, equal to Redis after churn, rebuilt after a
wipe, its lag measured. Runs on SQLite and (KUE_DB=postgres, see scripts/test) PostgreSQL."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import CommandError, call_command

from django_kue.core import HandlerSpec
from django_kue.mirror import GROUP, Mirror, MirrorBusy
from django_kue.models import JobRecord
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db


def redis_view(queue) -> dict[int, tuple]:
    """Every job in Redis, as the fields the mirror must agree on."""
    ids = [int(m[3:]) for m in queue.client.zrange(queue.keys.jobs, 0, -1)]
    out = {}
    for start in range(0, len(ids), 1000):
        for job in queue.get_jobs(ids[start:start + 1000]):
            out[job.id] = (job.type, job.state, job.priority, job.title or "", job.data,
                           job.progress(), job.attempts_made, job.error or "", job.result)
    return out


def table_view() -> dict[int, tuple]:
    return {r.id: (r.type, r.state, r.priority, r.title, r.data, r.progress, r.attempts_made,
                   r.error, r.result) for r in JobRecord.objects.all()}


@pytest.fixture
def mirror(queue):
    m = Mirror(queue)
    m.ensure_group()
    return m


def test_events_become_rows(queue, mirror, start_worker):
    job = queue.create("email", {"title": "welcome", "to": "a@b.c"}, priority="high").save()
    assert mirror.catch_up() == 1
    row = JobRecord.objects.get(id=job.id)
    assert (row.type, row.state, row.priority, row.title) == ("email", "inactive", -10, "welcome")
    assert row.data == {"title": "welcome", "to": "a@b.c"}
    assert row.created_at is not None

    start_worker({"email": lambda j: {"sent": j.data["to"]}})
    wait_until(lambda: queue.get_job(job.id).state == "complete")
    mirror.catch_up()
    row.refresh_from_db()
    assert (row.state, row.progress, row.attempts_made, row.result) == ("complete", 100, 1, {"sent": "a@b.c"})
    assert row.duration is not None and row.started_at is not None


def test_failure_is_mirrored_with_error_and_stack(queue, mirror, start_worker):
    def handler(job):
        raise ValueError("bad address")

    job = queue.create("email", {}).save()
    start_worker({"email": handler})
    wait_until(lambda: queue.get_job(job.id).state == "failed")
    mirror.catch_up()
    row = JobRecord.objects.get(id=job.id)
    assert row.state == "failed" and row.error == "bad address"
    assert "ValueError: bad address" in row.stack and row.failed_at is not None


def test_removed_jobs_lose_their_row(queue, mirror):
    keep, gone = queue.create("email", {}).save(), queue.create("email", {}).save()
    mirror.catch_up()
    gone.remove()
    mirror.catch_up()
    assert list(JobRecord.objects.values_list("id", flat=True)) == [keep.id]


def test_priority_and_state_changes_by_hand(queue, mirror):
    job = queue.create("email", {}).save()
    job.set_priority("critical")
    job.delayed()
    mirror.catch_up()
    row = JobRecord.objects.get(id=job.id)
    assert (row.priority, row.state) == (-15, "delayed")


def test_applying_a_batch_twice_changes_nothing(queue, mirror):
    jobs = queue.create_many([("email", {"n": i}) for i in range(5)])
    mirror.catch_up()
    before = table_view()
    assert mirror.refresh(job.id for job in jobs) == (5, 0)
    assert table_view() == before == redis_view(queue)


def _hash_reads(mirror):
    """Records the job ids whose hashes the mirror reads (it reads them through fields.lua)."""
    read: list[int] = []
    scripts = mirror.queue.scripts

    class Recording:
        def __call__(self, name, *args, **kw):
            if name == "fields":
                read.extend(int(a) for a in args[int(args[0]) + 1:])
            return scripts(name, *args, **kw)

        def __getattr__(self, attr):
            return getattr(scripts, attr)

    mirror.queue.scripts = Recording()
    return read


def test_events_already_in_a_row_are_not_read_again(queue, mirror):
    """A row written from a hash read after an event shows that event: the sync does not read
    the job again for it. An event written after the read is applied as usual."""
    old, new = queue.create("email", {"n": 1}).save(), queue.create("email", {"n": 2}).save()
    old.set_priority("high")
    mirror.refresh([old.id])  # reads old after its enqueue and priority events
    read = _hash_reads(mirror)
    assert mirror.catch_up() == 3
    assert read == [new.id]
    assert JobRecord.objects.get(id=old.id).priority == -10
    old.set_priority("critical")  # after the read: applied
    assert mirror.catch_up() == 1
    assert read == [new.id, old.id]
    assert table_view() == redis_view(queue)


def test_lag_counts_events_not_yet_applied(queue, mirror):
    assert mirror.lag() == 0
    queue.create_many([("email", {}) for _ in range(7)])
    assert mirror.lag() == 7
    entries = mirror._read(">")  # read but not acknowledged: still lag
    assert len(entries) == 7 and mirror.lag() == 7
    mirror.catch_up()
    assert mirror.lag() == 0


def test_lag_is_unknown_before_any_syncer(queue):
    assert Mirror(queue).lag() is None


def test_events_while_no_syncer_runs_are_not_lost(queue, mirror):
    queue.create_many([("email", {}) for _ in range(3)])  # nobody reading: they wait in Redis
    later = Mirror(queue)  # a new process
    assert later.catch_up() == 3
    assert JobRecord.objects.count() == 3


def test_rebuild_after_the_table_was_wiped(queue, mirror, start_worker):
    queue.create_many([("email", {"n": i}) for i in range(30)])
    start_worker({"email": lambda j: j.data["n"]}, max_jobs=10)
    wait_until(lambda: queue.complete_count() == 10)
    mirror.catch_up()
    JobRecord.objects.all().delete()
    JobRecord.objects.create(id=999_999, type="ghost", state="inactive")  # not in Redis
    call_command("kuemirror", "--rebuild", stdout=io.StringIO())
    assert table_view() == redis_view(queue)
    assert len(table_view()) == 30


def test_rebuild_in_pages(queue):
    queue.create_many([("email", {"n": i}) for i in range(25)])
    JobRecord.objects.create(id=3, type="stale", state="failed")
    rows, deleted = Mirror(queue, batch=4).rebuild()
    assert (rows, deleted) == (25, 0)
    assert table_view() == redis_view(queue)


def test_trimmed_stream_is_detected_and_rebuilt(queue, mirror):
    queue.create_many([("email", {}) for _ in range(5)])
    queue.client.xtrim(queue.keys.events, maxlen=0)  # the syncer was away too long
    queue.create("email", {}).save()
    queue.client.xtrim(queue.keys.events, maxlen=0)
    assert mirror.events_lost()
    mirror._rebuild_from_here()
    assert not mirror.events_lost()
    assert table_view() == redis_view(queue) and len(table_view()) == 6


def test_one_syncer_at_a_time(queue):
    first, second = Mirror(queue), Mirror(queue)
    assert first.hold()
    assert not second.hold()
    with pytest.raises(MirrorBusy):
        with second.locked():
            pass
    with pytest.raises(CommandError, match="another process"):
        call_command("kuemirror", "--rebuild")
    first.release()
    assert second.hold()
    second.release()


def test_kuemirror_once(queue, mirror, capsys):
    queue.create_many([("email", {}) for _ in range(4)])
    call_command("kuemirror", "--once")
    assert "4 event(s) applied" in capsys.readouterr().out
    assert table_view() == redis_view(queue)


def test_a_new_group_starts_with_a_rebuild(queue):
    queue.create_many([("email", {}) for _ in range(3)])  # before any group existed
    mirror = Mirror(queue)
    assert mirror.sync() == 0  # NOGROUP: the group is created and a rebuild started...
    assert any(g["name"] in (GROUP, GROUP.encode()) for g in queue.client.xinfo_groups(queue.keys.events))
    mirror.catch_up()  # ...which the next syncing finishes
    assert len(table_view()) == 3
    assert not queue.client.exists(queue.keys.mirror_rebuild)


def test_a_rebuild_a_syncer_left_unfinished_is_finished_by_the_next(queue):
    """The page a rebuild has reached is kept in Redis: a syncer that dies midway (or a
    worker stopped early) leaves it to the next one, instead of rows never written."""
    queue.create_many([("email", {"n": i}) for i in range(7)])
    JobRecord.objects.create(id=9999, type="stale", state="failed")
    first = Mirror(queue, batch=2)
    first.ensure_group()
    first.start_rebuild()
    assert first.rebuild_step()[:2] == (True, 2)  # then it dies
    assert len(table_view()) == 3  # two rows, and the stale one
    Mirror(queue, batch=2).catch_up()
    assert table_view() == redis_view(queue) and len(table_view()) == 7
    assert not queue.client.exists(queue.keys.mirror_rebuild)


def test_a_rebuild_page_skips_jobs_events_wrote_since_it_started(queue, start_worker):
    """A syncer follows new events between rebuild pages; a job whose row an event wrote
    since the rebuild started is not read again by its page."""
    jobs = queue.create_many([("email", {"n": i}) for i in range(6)])
    mirror = Mirror(queue, batch=3)
    mirror.ensure_group()
    mirror.start_rebuild()
    jobs[0].set_priority("high")
    jobs[4].set_priority("high")
    mirror.sync()  # their events: both rows written
    read = _hash_reads(mirror)
    assert mirror.rebuild_step()[:2] == (True, 2)
    assert mirror.rebuild_step()[:2] == (True, 2)
    assert mirror.rebuild_step()[0] is False
    assert sorted(read) == [jobs[i].id for i in (1, 2, 3, 5)]
    assert table_view() == redis_view(queue)


@pytest.mark.slow
@pytest.mark.parametrize("queue", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True)
def test_ten_thousand_jobs_churned_through_every_state(queue, start_worker):
    """10,000 jobs: completed, failed after a retry, delayed, re-prioritised, removed,
    retried by hand, while the syncer follows; at the end the table equals Redis."""
    mirror = Mirror(queue)
    mirror.ensure_group()
    rng = random.Random(7)

    def ok(job):
        job.progress(1, 2)
        return {"n": job.data["n"]}

    def bad(job):
        raise RuntimeError(f"no {job.data['n']}")

    jobs = queue.create_many(
        [("c.ok", {"n": i, "title": f"ok {i}"}, {"priority": rng.choice([-10, 0, 10])})
         for i in range(6000)]
        + [("c.bad", {"n": i}, {"attempts": 2}) for i in range(3000)]
        + [("c.later", {"n": i}, {"delay": 3_600_000}) for i in range(1000)])
    start_worker([HandlerSpec("c.ok", ok, 8), HandlerSpec("c.bad", bad, 8)])
    done = lambda: queue.complete_count() + queue.failed_count() == 9000  # noqa: E731
    while not done():
        mirror.sync(block_ms=20)
        for job in rng.sample(jobs[6000:9000], 3):  # meddle while they run
            try:
                job.set_priority(rng.choice(["high", "low"]))
            except Exception:
                pass
    for job in jobs[:300]:
        job.remove()
    for job in jobs[6000:6200]:
        job.inactive()  # retried by hand: no worker for them now... until the next line
    for job in jobs[9000:9100]:
        job.set_priority("critical")
    wait_until(lambda: queue.inactive_count() == 0, timeout=60)
    mirror.catch_up()
    table = table_view()
    assert len(table) == 9700
    assert table == redis_view(queue)
    assert {r[1] for r in table.values()} == {"complete", "failed", "delayed"}
    assert mirror.lag() == 0


@pytest.mark.django_db(transaction=True)
def test_runkueworker_keeps_the_mirror_in_sync(queue):
    jobs = queue.create_many([("t.echo", {"n": i}) for i in range(20)])
    call_command("runkueworker", "--burst", "--types=t.echo", verbosity=0)
    assert table_view() == redis_view(queue)
    assert {JobRecord.objects.get(id=j.id).state for j in jobs} == {"complete"}
    assert Mirror(queue).lag() == 0


@pytest.mark.django_db(transaction=True)
def test_runkueworker_no_mirror(queue):
    queue.create_many([("t.echo", {"n": i}) for i in range(3)])
    call_command("runkueworker", "--burst", "--types=t.echo", "--no-mirror", verbosity=0)
    assert queue.complete_count() == 3
    assert JobRecord.objects.count() == 0


def _beyond_kue_jobs(queue):
    """A cancelled job, a parent with two jobs waiting for it (one through the other), and a
    unique job, all saved through the core."""
    cancelled = queue.create("email", {"n": 1}).save().cancel()
    parent = queue.create("fetch", {"url": "a"}).save()
    other = queue.create("fetch", {"url": "b"}).save()
    child = queue.create("merge", depends_on=[parent, other.id]).save()
    unique = queue.create("report", {"user": 7}, unique_key="report:7").save()
    return {"cancelled": cancelled, "parent": parent, "other": other, "child": child,
            "unique": unique}


def _beyond_kue_columns(job_id):
    row = JobRecord.objects.get(id=job_id)
    return row.cancelled, row.depends_on, row.dependents, row.unique_key


def _assert_beyond_kue_columns(jobs):
    ids = {name: job.id for name, job in jobs.items()}
    assert _beyond_kue_columns(ids["cancelled"]) == (True, [], [], "")
    assert _beyond_kue_columns(ids["parent"]) == (False, [], [ids["child"]], "")
    assert _beyond_kue_columns(ids["other"]) == (False, [], [ids["child"]], "")
    assert _beyond_kue_columns(ids["child"]) == (False, [ids["parent"], ids["other"]], [], "")
    assert _beyond_kue_columns(ids["unique"]) == (False, [], [], "report:7")


def test_beyond_kue_columns_from_the_event_stream(queue, mirror):
    """The fast path (mirror_rows.RowWriter): cancelled flag, dependencies on both sides and
    the unique key come from the job hashes."""
    jobs = _beyond_kue_jobs(queue)
    mirror.catch_up()
    _assert_beyond_kue_columns(jobs)
    row = JobRecord.objects.get(id=jobs["cancelled"].id)
    assert (row.state, row.error) == ("failed", "cancelled")


def test_beyond_kue_columns_through_the_orm_path(queue, mirror):
    """The portable path (JobRecord.from_job, for databases other than SQLite and
    PostgreSQL) writes the same values from Job objects."""
    from django_kue.mirror_rows import orm_upsert

    jobs = _beyond_kue_jobs(queue)
    orm_upsert(queue.get_jobs([job.id for job in jobs.values()]))
    _assert_beyond_kue_columns(jobs)
    mirror.catch_up()  # the fast path rewrites the same rows with the same values
    _assert_beyond_kue_columns(jobs)


def test_beyond_kue_columns_follow_later_changes(queue, mirror):
    """A cancel of a waiting job's dependency cancels it too (on_dependency_failure), and a
    retry clears the flag: the rows follow each change."""
    parent = queue.create("fetch", {"url": "a"}).save()
    child = queue.create("merge", depends_on=[parent], on_dependency_failure="cancel").save()
    mirror.catch_up()
    assert _beyond_kue_columns(child.id) == (False, [parent.id], [], "")
    parent.cancel()
    mirror.catch_up()
    assert _beyond_kue_columns(parent.id)[0] is True
    assert _beyond_kue_columns(child.id)[0] is True
    queue.set_state(child.id, "inactive")
    mirror.catch_up()
    assert _beyond_kue_columns(child.id)[0] is False


def test_a_running_job_asked_to_stop_shows_it_at_once(queue, mirror, start_worker):
    """Cancelling an active job only flags it (its handler stops it): cancel.lua writes an
    internal `update` event, so the row shows the flag before the job ends."""
    import threading

    release = threading.Event()
    job = queue.create("email", {}).save()
    start_worker({"email": lambda j: release.wait(10)})
    wait_until(lambda: queue.get_job(job.id).state == "active")
    mirror.catch_up()
    row = JobRecord.objects.get(id=job.id)
    assert (row.state, row.cancelled) == ("active", False)
    job.cancel()
    mirror.catch_up()
    row.refresh_from_db()
    assert (row.state, row.cancelled) == ("active", True)
    release.set()
    wait_until(lambda: queue.get_job(job.id).state == "failed")
    mirror.catch_up()
    row.refresh_from_db()
    assert (row.state, row.error, row.cancelled) == ("failed", "cancelled", True)


def test_the_models_and_the_migrations_agree():
    """makemigrations --check: a field added to JobRecord without its migration fails here."""
    call_command("makemigrations", "django_kue", "--check", "--dry-run", stdout=io.StringIO())


def test_a_parent_row_learns_of_a_dependent_saved_after_it(queue, mirror):
    """Saving a child changes its parents' `dependents` with no event of theirs: the mirror
    reads the parents again when it writes the child, on both write paths."""
    from django_kue.mirror_rows import RowWriter

    parent = queue.create("fetch", {"url": "a"}).save()
    other = queue.create("fetch", {"url": "b"}).save()
    mirror.catch_up()
    assert _beyond_kue_columns(parent.id)[2] == []
    child = queue.create("merge", depends_on=[parent, other]).save()
    mirror.catch_up()
    assert _beyond_kue_columns(parent.id)[2] == [child.id]
    assert _beyond_kue_columns(other.id)[2] == [child.id]

    mirror._rows = RowWriter()
    mirror._rows.fast = False  # the portable path, as on MySQL
    later = queue.create("notify", depends_on=[child]).save()
    mirror.catch_up()
    assert _beyond_kue_columns(child.id) == (False, [parent.id, other.id],
                                             [later.id], "")
