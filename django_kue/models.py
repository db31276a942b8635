"""The job mirror: each job's metadata copied from Redis into the database for the admin.

Redis stays authoritative. Rows are written only by ``django_kue.mirror`` (from the event
stream, or a rebuild) and never edited by hand: a change made here would not reach Redis.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

STATE_CHOICES = [(s, s) for s in ("inactive", "delayed", "active", "complete", "failed")]


def from_ms(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)


class JobRecord(models.Model):
    """One job as Redis last showed it to the mirror."""

    id = models.BigIntegerField(primary_key=True)  # Kue's job id
    type = models.CharField(max_length=200, db_index=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, db_index=True)
    priority = models.IntegerField(default=0)
    title = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_data = models.JSONField(null=True, blank=True)
    attempts_made = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=1)
    error = models.TextField(blank=True)
    stack = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    worker_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(null=True, db_index=True)
    updated_at = models.DateTimeField(null=True)
    promote_at = models.DateTimeField(null=True)
    started_at = models.DateTimeField(null=True)
    failed_at = models.DateTimeField(null=True)
    duration = models.BigIntegerField(null=True, help_text="milliseconds")
    synced_at = models.DateTimeField(auto_now=True)
    # beyond Kue (core/extras.py): shown by the admin, filled by both mirror write paths
    cancelled = models.BooleanField(
        default=False, help_text="cancelled through job.cancel(), the API or a dependency")
    depends_on = models.JSONField(default=list, blank=True,
                                  help_text="ids of the jobs this one waits for")
    dependents = models.JSONField(default=list, blank=True,
                                  help_text="ids of the jobs waiting for this one")
    unique_key = models.CharField(max_length=1000, blank=True, default="")

    class Meta:
        verbose_name = "job"
        verbose_name_plural = "jobs"
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "type"], name="django_kue_state_type")]

    def __str__(self) -> str:
        return f"{self.type} #{self.id}" + (f": {self.title}" if self.title else "")

    @classmethod
    def from_job(cls, job: Any) -> JobRecord:
        """A row from a core Job (read from its Redis hash)."""
        d = job.to_dict()
        key = job.unique_key  # a str once read from Redis (a callable only before a save)
        return cls(
            id=job.id, type=job.type[:200], state=job.state or "", priority=job.priority,
            title=(job.title or "")[:255], data=job.data, progress=max(0, min(100, d["progress"])),
            progress_data=d["progress_data"], attempts_made=job.attempts_made,
            max_attempts=job.max_attempts, error=job.error or "", stack=job.stack or "",
            result=job.result, worker_id=(job.worker_id or "")[:255],
            created_at=from_ms(job.created_at), updated_at=from_ms(job.updated_at),
            promote_at=from_ms(job.promote_at), started_at=from_ms(job.started_at),
            failed_at=from_ms(job.failed_at), duration=job.duration,
            cancelled=bool(getattr(job, "cancelled_flag", False)),
            depends_on=list(job.dependencies), dependents=list(job.dependents),
            unique_key=key[:1000] if isinstance(key, str) else "",
        )

    # the fields an upsert rewrites (all but the key)
    UPDATE_FIELDS = ("type", "state", "priority", "title", "data", "progress", "progress_data",
                     "attempts_made", "max_attempts", "error", "stack", "result", "worker_id",
                     "created_at", "updated_at", "promote_at", "started_at", "failed_at",
                     "duration", "synced_at", "cancelled", "depends_on", "dependents",
                     "unique_key")


class Dashboard(models.Model):
    """No table: gives Kue's dashboard its place in the admin index and a "view" permission."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"
