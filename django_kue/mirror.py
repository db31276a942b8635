"""Keeping the job mirror (``models.JobRecord``) in sync with Redis.

The syncer reads the queue's event stream through a consumer group, so events written while
no syncer runs wait in Redis instead of being lost. For each batch it reads the *current* hash
of every job named (pipelined), upserts those rows and deletes the rows of jobs that are gone,
then acknowledges the batch. Applying a batch twice gives the same table: a crash between the
upsert and the XACK only means the batch is read again.

One process syncs at a time (a lock in Redis): two syncers could otherwise write an older read
of a job over a newer one. If the stream was trimmed past what the group had read, events
were lost, and the syncer rebuilds: it walks every job id in Redis and reconciles the table.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from typing import Any, Iterable, Iterator

import redis
from django.db import DatabaseError, DataError, IntegrityError, close_old_connections, transaction

from .core import codec
from .core.queue import Queue
from .core.redis_client import UNREACHABLE
from .mirror_rows import RowWriter, hashes, json_columns, orm_upsert, waited_for
from .models import JobRecord

logger = logging.getLogger("django_kue.mirror")

GROUP = "kue-mirror"
CONSUMER = "mirror"  # one consumer: only the lock holder reads, and it reclaims its own pending
BATCH = 1000  # events per read, and jobs per rebuild page
LOCK_MS = 30_000  # a syncer that stops renewing loses the lock after this


class MirrorBusy(Exception):
    """Another process holds the mirror lock."""


def _stream_id(value: Any) -> tuple[int, int]:
    ms, _, seq = (codec.text(value) or "0-0").partition("-")
    return int(ms), int(seq or 0)


class Mirror:
    def __init__(self, queue: Queue | None = None, batch: int = BATCH) -> None:
        if queue is None:
            from .connection import get_queue

            queue = get_queue()
        self.queue = queue
        self.batch = batch
        self.token = uuid.uuid4().hex
        self.client = queue.client
        self.stream = queue.keys.events
        self._rows: RowWriter | None = None
        # job id -> the stream's last id when this syncer last read the job's hash: an event
        # at or before it is in that read already, and the row written from it (see sync)
        self._read_at: dict[int, tuple[int, int]] = {}

    # -- the lock --------------------------------------------------------------------------
    def hold(self) -> bool:
        return bool(self.queue.scripts("mirror_lock", self.token, "hold", LOCK_MS))

    def release(self) -> None:
        self.queue.scripts("mirror_lock", self.token, "release", 0)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if not self.hold():
            raise MirrorBusy("another process is syncing the job mirror")
        try:
            yield
        finally:
            self.release()

    # -- following the stream ----------------------------------------------------------------
    def ensure_group(self) -> bool:
        """Create the consumer group at the stream's end; True when it was new (the table
        then needs a rebuild: whatever happened before is not in the group)."""
        try:
            self.client.xgroup_create(self.stream, GROUP, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" in str(exc):
                return False
            raise
        return True

    def events_lost(self) -> bool:
        """The stream was trimmed past entries the group had not read yet."""
        group = self._group()
        if group is None:
            return False
        info = self.client.xinfo_stream(self.stream)
        delivered = _stream_id(group["last-delivered-id"])
        first = info.get("first-entry")
        newest = _stream_id(info["last-generated-id"])
        if newest <= delivered:
            return False
        return first is None or _stream_id(first[0]) > delivered

    def sync(self, block_ms: int | None = None) -> int:
        """Apply one batch: this consumer's unacknowledged entries first, then new ones.
        Returns how many events were applied."""
        try:
            entries = self._read("0") or self._read(">", block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            if self.ensure_group():  # the stream was deleted: everything before is unknown
                self.start_rebuild()
            return 0
        if not entries:
            return 0
        self.refresh(self._not_written(entries))
        self.client.xack(self.stream, GROUP, *[entry_id for entry_id, _f in entries])
        return len(entries)

    def _not_written(self, entries: list[tuple[Any, dict]]) -> set[int]:
        """The jobs of these events whose rows may not show them yet. A job whose hash was
        read after an event was written needs no new read for it: most jobs' second and third
        events (start, complete after enqueue) arrive once their row shows them already."""
        read_at = self._read_at
        ids = set()
        for entry_id, fields in entries:
            if not fields:  # a trimmed pending entry
                continue
            job_id = int(codec.text(fields.get(b"id") or fields.get("id")) or 0)
            if job_id not in ids and read_at.get(job_id, (-1, 0)) < _stream_id(entry_id):
                ids.add(job_id)
        return ids

    def _read(self, after: str, block_ms: int | None = None) -> list[tuple[Any, dict]]:
        reply = self.client.xreadgroup(GROUP, CONSUMER, {self.stream: after}, count=self.batch,
                                       block=block_ms)
        return [entry for _stream, entries in reply or [] for entry in entries]

    def catch_up(self) -> int:
        """Apply everything there is now (tests, ``kuemirror --once``)."""
        total = 0
        self.ensure_group()
        while self.rebuild_step()[0]:  # one a syncer left unfinished
            pass
        while applied := self.sync():
            total += applied
        return total

    # -- writing rows ----------------------------------------------------------------------
    def refresh(self, job_ids: Iterable[int]) -> tuple[int, int]:
        """Make these jobs' rows equal to Redis now; returns (upserted, deleted)."""
        ids = sorted({i for i in job_ids if i > 0})
        if not ids:
            return 0, 0
        stream_at = self._stream_end()  # before the reads: every event up to it is in them
        found, parents = self._upsert(ids)
        gone = [i for i in ids if i not in found]
        deleted = JobRecord.objects.filter(id__in=gone).delete()[0] if gone else 0
        self._written(ids, stream_at)
        # Saving a job with dependencies adds it to their `dependents` with no event of
        # theirs: their rows are read again (only in batches holding such a job).
        parents = sorted(parents.difference(ids))
        if parents:
            self._upsert(parents)
            self._written(parents, stream_at)
        return len(found), deleted

    def _stream_end(self) -> tuple[int, int]:
        last = self.client.xrevrange(self.stream, count=1)
        return _stream_id(last[0][0]) if last else (0, 0)

    def _written(self, ids: Iterable[int], stream_at: tuple[int, int]) -> None:
        """These jobs' rows are Redis as of ``stream_at`` (read then, and written)."""
        if len(self._read_at) > 200_000:  # a bound, not a cache policy: forgetting costs a read
            self._read_at.clear()
        self._read_at.update(dict.fromkeys(ids, stream_at))

    def _upsert(self, ids: list[int]) -> tuple[set[int], set[int]]:
        """Read these jobs' hashes (one script call) and upsert their rows (one
        ``executemany``, see mirror_rows); returns the ids found in Redis, and the ids
        those jobs depend on."""
        writer = self._writer()
        if not writer.fast:
            jobs = self.queue.get_jobs(ids)
            with transaction.atomic(using=writer.using):
                orm_upsert(jobs)
            return {job.id for job in jobs}, {i for job in jobs for i in job.dependencies}
        synced = writer.synced()
        rows = [row for i, f in hashes(self.queue, ids) if (row := _row(writer, i, f, synced))]
        try:
            with transaction.atomic(using=writer.using):
                writer.upsert(rows)
        except (IntegrityError, DataError):  # a job whose JSON was corrupted in Redis by hand
            rows = [row for row in rows if _readable(row)]
            with transaction.atomic(using=writer.using):
                writer.upsert(rows)
        return {row[0] for row in rows}, waited_for(rows)

    def _writer(self) -> RowWriter:
        if self._rows is None:
            self._rows = RowWriter()
        return self._rows

    def rebuild(self) -> tuple[int, int]:
        """Reconcile the whole table with Redis, now; returns (rows, deleted)."""
        self._begin_rebuild()
        return self._finish_rebuild()

    def start_rebuild(self) -> None:
        """Follow the stream from its end from now on, and reconcile every job before that
        a page at a time between event batches (``rebuild_step``). The page reached is kept in
        Redis, so a syncer that dies midway is continued by the next one."""
        self.client.xgroup_setid(self.stream, GROUP, id="$")
        self.client.xgroup_delconsumer(self.stream, GROUP, CONSUMER)  # drop stale pending
        self._begin_rebuild()

    def _begin_rebuild(self) -> None:
        self._read_at.clear()  # every row is read again, whatever wrote it before
        self.client.set(self.queue.keys.mirror_rebuild, 0)

    def _finish_rebuild(self) -> tuple[int, int]:
        """The rest of the rebuild in progress, now; returns (rows, deleted)."""
        rows = deleted = 0
        while True:
            more, page_rows, page_deleted = self.rebuild_step()
            rows, deleted = rows + page_rows, deleted + page_deleted
            if not more:
                return rows, deleted
            self.hold()  # a long rebuild keeps its lock

    def rebuild_step(self, page: int | None = None) -> tuple[bool, int, int]:
        """One page of a rebuild in progress, if any: (more to do, rows, deleted). The jobs
        zset is scored by id, so pages stay correct while jobs come and go; a job whose row an
        event wrote since the rebuild started is not read again (its next events follow it)."""
        low = self.client.get(self.queue.keys.mirror_rebuild)
        if low is None:
            return False, 0, 0
        low = int(low)
        ids = [int(s) for _m, s in self.client.zrangebyscore(
            self.queue.keys.jobs, f"({low}", "+inf", start=0, num=page or self.batch,
            withscores=True)]
        unread = [i for i in ids if i not in self._read_at]
        stream_at = self._stream_end()
        found = self._upsert(unread)[0] if unread else set()  # parents: refresh() has them
        stale = JobRecord.objects.filter(id__gt=low)
        if ids:
            stale = stale.filter(id__lte=ids[-1])
        deleted = stale.exclude(id__in=found.union(set(ids) - set(unread))).delete()[0]
        self._written(found, stream_at)
        if ids:
            self.client.set(self.queue.keys.mirror_rebuild, ids[-1])
        else:
            self.client.delete(self.queue.keys.mirror_rebuild)
        return bool(ids), len(found), deleted

    # -- lag ------------------------------------------------------------------------------
    def _group(self) -> dict[str, Any] | None:
        try:
            groups = self.client.xinfo_groups(self.stream)
        except redis.ResponseError:  # no stream yet
            return None
        return next((g for g in groups if codec.text(g["name"]) == GROUP), None)

    def lag(self) -> int | None:
        """Events not yet applied: unread by the group plus read but unacknowledged. None
        when no syncer ever ran (no group) or Redis cannot tell."""
        group = self._group()
        if group is None:
            return None
        if group.get("lag") is None:
            return None
        return int(group["lag"]) + int(group.get("pending") or 0)

    # -- the loop ---------------------------------------------------------------------------
    def follow(self, stop: threading.Event, block_ms: int = 1000, pace_ms: int = 0) -> None:
        """Sync until ``stop`` is set: runkueworker's thread and ``kuemirror``. With ``pace_ms``,
        a batch smaller than a full one is followed by that pause, so that a job's events
        (start, complete ...) meet in one batch and its row is written once, not per event."""
        failures = 0
        held = False
        while not stop.is_set():
            try:
                if not self.hold():
                    held = False
                    stop.wait(LOCK_MS / 3000)  # another process syncs; take over if it dies
                    continue
                if not held and (self.ensure_group() or self.events_lost()):
                    logger.warning("job mirror: rebuilding from Redis (new, or events were lost)")
                    self.start_rebuild()
                held = True
                # a page between two batches, of fewer jobs than a batch has events: behind a
                # busy worker, it then finds most jobs written by their events already
                rebuilding, _rows, _deleted = self.rebuild_step(max(1, self.batch // 4))
                applied = self.sync(None if rebuilding else block_ms)
                failures = 0
                if pace_ms and 0 < applied < self.batch:
                    stop.wait(pace_ms / 1000)
            except (*UNREACHABLE, DatabaseError) as exc:
                failures += 1
                logger.warning("job mirror: %s; retrying", exc)
                close_old_connections()
                stop.wait(min(5.0, 0.1 * 2 ** min(failures, 6)))
        with contextlib.suppress(redis.ConnectionError):
            self.release()
        close_old_connections()

    def _rebuild_from_here(self) -> None:
        """Start a rebuild and finish it now (the tests' shortcut)."""
        self.start_rebuild()
        self._finish_rebuild()


@contextlib.contextmanager
def syncing(queue: Queue | None = None) -> Iterator[Mirror]:
    """The syncer in a daemon thread for the duration of the block (runkueworker). On the way
    out it applies what is left, so a burst worker leaves the mirror current."""
    stop = threading.Event()
    mirror = Mirror(queue)
    thread = threading.Thread(target=mirror.follow, args=(stop,), name="kue-mirror", daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        stop.set()
        thread.join(10)
        final_catch_up(mirror)


def final_catch_up(mirror: Mirror) -> None:
    """Apply what is left as a worker stops, so a burst worker leaves the mirror current;
    another syncer holding the lock, or Redis or the database gone, only skips it."""
    try:
        with mirror.locked():
            mirror.catch_up()
    except (MirrorBusy, redis.ConnectionError, DatabaseError) as exc:
        logger.info("job mirror: no final catch-up (%s)", exc)
    finally:
        close_old_connections()


def _row(writer: RowWriter, job_id: int, values: list[Any], synced: Any) -> Any:
    """The job's row, or None (and a warning) for a hash corrupted by hand: the mirror skips
    it, as the job lists do, rather than stop."""
    try:
        return writer.row(job_id, values, synced)
    except (ValueError, TypeError) as exc:
        logger.warning("job mirror: job %s cannot be read from Redis (corrupted?): %s", job_id, exc)
        return None


def _readable(row: Any) -> bool:
    """False for a row whose JSON columns do not parse (only checked once a write failed, so
    the common batch pays nothing)."""
    try:
        for text in json_columns(row):
            if text is not None:
                codec.loads(text)
        return True
    except ValueError as exc:
        logger.warning("job mirror: job %s has JSON that cannot be read (corrupted?): %s", row[0], exc)
        return False
