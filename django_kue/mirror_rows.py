"""Mirror rows straight from Redis job hashes, written with one ``executemany`` upsert.

The ORM path (``Job.from_hash`` -> ``JobRecord.from_job`` -> ``bulk_create(update_conflicts=True)``)
spent most of the mirror's time in Django's SQL compiler and in building model instances
(bench/PROFILE.md). Here a row is a tuple built from the raw hash, with the same values
``JobRecord.from_job`` gives, and the statement is prepared once per connection. On SQLite and
PostgreSQL; other databases keep the ORM path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from django.db import connections, router
from django.utils import timezone

from .core import codec
from .models import JobRecord

COLUMNS = ("id", "type", "state", "priority", "title", "data", "progress", "progress_data",
           "attempts_made", "max_attempts", "error", "stack", "result", "worker_id",
           "created_at", "updated_at", "promote_at", "started_at", "failed_at", "duration",
           "synced_at", "cancelled", "depends_on", "dependents", "unique_key")
_JSON = frozenset({"data", "progress_data", "result", "depends_on", "dependents"})
# the hash fields a row is made of, in the order RowWriter.row takes them ("type" first: a job
# that is gone has none)
FIELDS = ("type", "state", "priority", "data", "progress", "progress_data", "attempts",
          "max_attempts", "error", "stack", "result", "workerId", "created_at", "updated_at",
          "promote_at", "started_at", "failed_at", "duration",
          # beyond Kue (core/extras.py): "1" when cancelled; JSON arrays of ids; a string
          "cancelled", "depends_on", "dependents", "unique_key")

Row = tuple[Any, ...]


def _json(text: str | None) -> str | None:
    """Stored JSON text as the column's value: SQL NULL for none (and for JSON null, as the
    ORM path stores a decoded None)."""
    return None if not text or text == "null" else text


class RowWriter:
    """Upserts rows on one database connection (the router's choice for JobRecord)."""

    def __init__(self, using: str | None = None) -> None:
        self.using = using or router.db_for_write(JobRecord)
        vendor = self.connection.vendor
        self.fast = vendor in ("sqlite", "postgresql")
        self._times: dict[int, Any] = {}
        self._sql = self._statement(vendor) if self.fast else ""

    @property
    def connection(self) -> Any:
        return connections[self.using]  # per thread: a Mirror may move between threads

    def _statement(self, vendor: str) -> str:
        qn = self.connection.ops.quote_name
        cols = [JobRecord._meta.get_field(c).column for c in COLUMNS]
        marks = ", ".join("%s::jsonb" if vendor == "postgresql" and c in _JSON else "%s" for c in COLUMNS)
        updates = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in cols[1:])
        return (f"INSERT INTO {qn(JobRecord._meta.db_table)} ({', '.join(qn(c) for c in cols)}) "
                f"VALUES ({marks}) ON CONFLICT ({qn(cols[0])}) DO UPDATE SET {updates}")

    def time(self, ms: Any) -> Any:
        """A stored ms timestamp as the database wants a DateTimeField value (cached: jobs
        of one batch share most of their timestamps)."""
        if not ms:
            return None
        key = int(ms)
        value = self._times.get(key)
        if value is None:
            if len(self._times) > 50_000:
                self._times.clear()
            value = self.connection.ops.adapt_datetimefield_value(
                dt.datetime.fromtimestamp(key / 1000, tz=dt.UTC))
            self._times[key] = value
        return value

    def synced(self) -> Any:
        return self.connection.ops.adapt_datetimefield_value(timezone.now())

    def row(self, job_id: int, v: list[Any], synced: Any) -> Row:
        """The row ``JobRecord.from_job(Job.from_hash(...))`` would write, as a tuple, from an
        HMGET of FIELDS (bytes or str values)."""
        (type_, state, priority, data, progress, progress_data, attempts, max_attempts, error,
         stack, result, worker, created, updated, promote, started, failed, duration,
         cancelled, depends_on, dependents, unique_key) = [
            x.decode() if x.__class__ is bytes else x for x in v]
        data = data or "{}"
        title = None
        if "title" in data:  # decoded only when it may hold a title (most jobs' data has none)
            value = codec.loads(data, {})
            title = value.get("title") if isinstance(value, dict) else None
        time = self.time
        return (
            job_id, (type_ or "?")[:200], state or "", int(priority or 0),
            ("" if title is None else str(title))[:255],
            data, max(0, min(100, int(float(progress or 0)))), _json(progress_data),
            int(attempts or 0), int(max_attempts or 1), error or "", stack or "", _json(result),
            (worker or "")[:255], time(created), time(updated), time(promote), time(started),
            time(failed), int(duration) if duration else None, synced,
            cancelled == "1", depends_on or "[]", dependents or "[]", (unique_key or "")[:1000],
        )

    def upsert(self, rows: Sequence[Row]) -> None:
        if rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(self._sql, rows)


def json_columns(row: Row) -> tuple[Any, ...]:
    """The row's JSON texts (data, progress_data, result, depends_on, dependents)."""
    return row[5], row[7], row[12], row[22], row[23]


def waited_for(rows: Sequence[Row]) -> set[int]:
    """The ids these rows' jobs depend on (``depends_on``; "[]" for most rows, not decoded).
    Text that is not a list of ids (a hash edited by hand) names none."""
    out: set[int] = set()
    for row in rows:
        if row[22] != "[]":
            try:
                out.update(int(i) for i in codec.loads(row[22]))
            except (ValueError, TypeError):
                continue
    return out


def orm_upsert(jobs: list[Any]) -> None:
    """The portable path (MySQL, Oracle ...): the ORM's bulk upsert of Job objects."""
    if jobs:
        JobRecord.objects.bulk_create(
            [JobRecord.from_job(job) for job in jobs], update_conflicts=True,
            unique_fields=["id"], update_fields=list(JobRecord.UPDATE_FIELDS))


def hashes(queue: Any, ids: Sequence[int]) -> list[tuple[int, list[Any]]]:
    """(id, values of FIELDS) of the jobs that exist, in one script call (``fields.lua``)."""
    values = queue.scripts("fields", len(FIELDS), *FIELDS, *ids) if ids else []
    return [(i, v) for i, v in zip(ids, values) if v[0] is not None]
