"""The wire formats, in one home: Kue's job JSON and POST /job body, and the REST API's.

Kue's job JSON (its ``job.toJSON()``), key order included: ``id`` a string from
``GET /job/:id`` and a number from the range routes; timestamps, ``duration``, ``delay`` and
``ttl`` strings of milliseconds; ``progress`` a string once set and the number ``0`` before.
Our job hash stores progress ``"0"`` at save, so a progress of 0 is always sent as the number
0 (what Kue sends for a job never given progress); any other value is sent as Kue's string.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..conf import kue_settings
from ..core import codec, extras
from ..core.errors import InvalidJob
from ..core.job import Job
from ..core.queue import Queue
from ..core.states import STATES

_TIMES = ("created_at", "promote_at", "updated_at", "failed_at", "started_at", "duration")
# POST /job's "options": Kue's names -> ours (our snake_case names are accepted too)
KUE_OPTIONS = {
    "attempts": "attempts", "priority": "priority", "delay": "delay", "ttl": "ttl",
    "backoff": "backoff", "searchKeys": "search_keys", "search_keys": "search_keys",
    "removeOnComplete": "remove_on_complete", "remove_on_complete": "remove_on_complete",
    # beyond Kue: unique jobs and dependencies
    "uniqueKey": "unique_key", "unique_key": "unique_key",
    "dependsOn": "depends_on", "depends_on": "depends_on",
    "onDependencyFailure": "on_dependency_failure", "on_dependency_failure": "on_dependency_failure",
}


def kue_attempts(job: Job) -> dict[str, int]:
    made, most = job.attempts_made, job.max_attempts
    return {"made": made, "remaining": max(0, most - made) if made > 0 else most, "max": most}


def kue_job(job: Job, *, string_id: bool = False) -> dict[str, Any]:
    """A job as Kue's JSON API sends it; keys Kue would leave undefined are omitted."""
    out: dict[str, Any] = {"id": str(job.id) if string_id else job.id, "type": job.type,
                           "data": job.data}
    if job.result is not None:
        out["result"] = job.result
    out["priority"] = job.priority
    progress = job.progress()
    out["progress"] = str(progress) if progress else 0
    if job.progress_data is not None:
        out["progress_data"] = job.progress_data
    out["state"] = job.state
    error = job.stack or job.error
    if error:
        out["error"] = error
    for name in _TIMES[:5]:
        if getattr(job, name) is not None:
            out[name] = str(getattr(job, name))
    if job.duration is not None:
        out["duration"] = str(job.duration)
    if job.delay:
        out["delay"] = str(job.delay)
    if job.worker_id:
        out["workerId"] = job.worker_id
    if job.ttl:
        out["ttl"] = str(job.ttl)
    out["attempts"] = kue_attempts(job)
    out.update({k: v for k, v in job_extras(job).items() if v})
    return out


job_extras = extras.as_dict  # beyond Kue: unique key, parent/child ids, cancelled, periodic


def kue_stats(counts: dict[str, int], work_time: int | None) -> dict[str, Any]:
    """GET /stats, in Kue's key order; ``workTime`` is null before the first completion."""
    order = ("inactive", "complete", "active", "failed", "delayed")
    return {**{f"{state}Count": counts[state] for state in order}, "workTime": work_time}


def job_from_kue(queue: Queue, item: Any) -> Job:
    """One element of POST /job -> an unsaved, fully validated job (InvalidJob otherwise)."""
    if not isinstance(item, dict):
        raise InvalidJob("each job must be a JSON object: {\"type\": ..., \"data\": {...}, "
                         "\"options\": {...}}")
    extra = set(item) - {"type", "data", "options"}
    if extra:
        raise InvalidJob(f"unknown key(s) {', '.join(sorted(extra))}; a job has type, data, options")
    job_type = item.get("type")
    if not isinstance(job_type, str) or not job_type.strip():
        raise InvalidJob("Must provide job type")
    data = item.get("data")
    if data is not None and not isinstance(data, dict):
        raise InvalidJob(f"data must be a JSON object, not {type(data).__name__}")
    options = item.get("options")
    if options is not None and not isinstance(options, dict):
        raise InvalidJob("options must be a JSON object")
    return new_job(queue, job_type, data, _option_names(options or {}))


def _option_names(options: dict[str, Any]) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for key, value in options.items():
        name = KUE_OPTIONS.get(key)
        if name is None:
            raise InvalidJob(f"unknown option {key!r}; Kue's options are attempts, priority, "
                             f"delay, ttl, backoff, searchKeys, removeOnComplete (and uniqueKey, "
                             f"dependsOn, onDependencyFailure)")
        if name in named:
            raise InvalidJob(f"option {name!r} given twice")
        if value is not None:
            named[name] = value
    return named


def new_job(queue: Queue, job_type: str, data: dict[str, Any] | None,
            options: dict[str, Any]) -> Job:
    """Validate everything before any write: type, options, and the data's size."""
    if kue_settings.API_REGISTERED_TYPES_ONLY:
        from ..registry import registered

        if job_type not in registered():
            raise InvalidJob(f"no @kue_job handler is registered for type {job_type!r} "
                             f"(KUE['API_REGISTERED_TYPES_ONLY'] is on)")
    job = queue.create(job_type, data, **options)
    codec.dumps(job.data, limit=queue.config.max_payload)
    return job


# -- the REST API --------------------------------------------------------------------------
class AttemptsSerializer(serializers.Serializer):
    made = serializers.IntegerField()
    remaining = serializers.IntegerField()
    max = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    """A job in the REST API: numbers are numbers, times are epoch milliseconds."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    data = serializers.DictField()
    state = serializers.ChoiceField(choices=STATES)
    priority = serializers.IntegerField()
    progress = serializers.IntegerField(help_text="percent, 0-100")
    progress_data = serializers.JSONField(allow_null=True)
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    stack = serializers.CharField(allow_null=True)
    attempts = AttemptsSerializer()
    delay = serializers.IntegerField(help_text="ms")
    ttl = serializers.IntegerField(help_text="ms; 0 = none")
    backoff = serializers.JSONField(allow_null=True)
    remove_on_complete = serializers.BooleanField()
    search_keys = serializers.ListField(child=serializers.CharField(), allow_null=True)
    worker_id = serializers.CharField(allow_null=True)
    created_at = serializers.IntegerField(allow_null=True, help_text="epoch ms")
    promote_at = serializers.IntegerField(allow_null=True, help_text="epoch ms")
    updated_at = serializers.IntegerField(allow_null=True, help_text="epoch ms")
    started_at = serializers.IntegerField(allow_null=True, help_text="epoch ms")
    failed_at = serializers.IntegerField(allow_null=True, help_text="epoch ms")
    duration = serializers.IntegerField(allow_null=True, help_text="ms")
    unique_key = serializers.CharField(allow_null=True)
    dependencies = serializers.ListField(child=serializers.IntegerField(),
                                         help_text="ids of the jobs this one waits for")
    dependents = serializers.ListField(child=serializers.IntegerField(),
                                       help_text="ids of the jobs waiting for this one")
    waiting = serializers.IntegerField(help_text="dependencies not complete yet")
    cancelled = serializers.BooleanField()
    periodic = serializers.CharField(allow_null=True, help_text="the schedule that enqueued it")

    def to_representation(self, job: Job) -> dict[str, Any]:
        raw = {**job.to_dict(), "progress": job.progress(), "attempts": kue_attempts(job),
               **job_extras(job)}
        return {name: raw.get(name) for name in self.fields}


class JobCreateSerializer(serializers.Serializer):
    """POST /kue/api/jobs/: the type, its data and Kue's options in snake_case."""

    type = serializers.CharField(max_length=200)
    data = serializers.DictField(required=False, default=dict)
    priority = serializers.JSONField(required=False, help_text="a name (low, normal, medium, "
                                     "high, critical) or an integer; lower runs first")
    attempts = serializers.IntegerField(required=False, min_value=1)
    delay = serializers.IntegerField(required=False, min_value=0, help_text="ms")
    ttl = serializers.IntegerField(required=False, min_value=0, help_text="ms")
    backoff = serializers.JSONField(required=False, help_text='true, {"type": "fixed", "delay": '
                                    'ms} or {"type": "exponential"}')
    search_keys = serializers.ListField(child=serializers.CharField(), required=False)
    remove_on_complete = serializers.BooleanField(required=False)
    unique_key = serializers.CharField(required=False, max_length=1000)
    depends_on = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    on_dependency_failure = serializers.ChoiceField(["fail", "cancel"], required=False)

    def to_job(self, queue: Queue) -> Job:
        values = dict(self.validated_data)
        job_type, data = values.pop("type"), values.pop("data")
        return new_job(queue, job_type, data, {k: v for k, v in values.items() if v is not None})


class PrioritySerializer(serializers.Serializer):
    priority = serializers.JSONField(help_text="a name or an integer")


class StatsSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="jobs per state")
    work_time = serializers.IntegerField(allow_null=True, help_text="ms spent on completed jobs")


class TypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
