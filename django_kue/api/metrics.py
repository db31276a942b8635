"""``GET /metrics``: Prometheus' text exposition format (0.0.4), written by hand: a dozen
families do not need a client library, and the numbers come from Redis at scrape time, so
every web process reports the same (a per-process registry would not).

Access: what the other API routes allow (staff by default), or, for a scraper,
``Authorization: Bearer <KUE["METRICS_TOKEN"]>`` when that setting is set.
"""

from __future__ import annotations

import hmac
from typing import Any, Iterable

from django.http import HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework.views import APIView

from ..conf import kue_settings
from ..connection import get_queue
from ..core.metrics import BUCKETS_MS, Snapshot, snapshot
from ..mirror import GROUP
from .documented import DescribedView, document
from .permissions import KuePermission

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class BearerTokenOrKuePermission(KuePermission):
    """The scraper's token, when KUE["METRICS_TOKEN"] is set; else the API's usual rule."""

    def has_permission(self, request: Any, view: Any) -> bool:
        token = kue_settings.METRICS_TOKEN
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, given = header.partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                                        token.encode()):
            return True
        return super().has_permission(request, view)


class MetricsSchema(AutoSchema):
    """The API's usual authentication, or the scraper's bearer token (KUE["METRICS_TOKEN"])."""

    TOKEN = "metricsToken"

    def get_auth(self) -> list[Any]:
        self.registry.register_on_missing(ResolvedComponent(
            name=self.TOKEN, type=ResolvedComponent.SECURITY_SCHEMA, object=self.TOKEN,
            schema={"type": "http", "scheme": "bearer",
                    "description": "KUE['METRICS_TOKEN'], when set; opens /metrics only"}))
        return [*super().get_auth(), {self.TOKEN: []}]


EXPOSITION = OpenApiResponse(
    response=OpenApiTypes.STR,
    description="Prometheus' text exposition format 0.0.4 (" + CONTENT_TYPE + "): kue_jobs, "
                "kue_jobs_completed_total, kue_jobs_failed_total, kue_job_attempts_failed_total, "
                "kue_job_duration_seconds, kue_workers_alive, kue_worker_active_jobs, "
                "kue_mirror_lag_seconds (once a mirror ran)",
    examples=[OpenApiExample("scrape", value='# HELP kue_workers_alive Workers that sent a '
                             'heartbeat within a lease.\n# TYPE kue_workers_alive gauge\n'
                             'kue_workers_alive 1\n')])


class MetricsView(DescribedView, APIView):
    permission_classes = [BearerTokenOrKuePermission]

    @document(base=MetricsSchema, operation_id="metrics_retrieve", tags=["metrics"],
              responses={(200, "text/plain"): EXPOSITION},
              summary="Prometheus metrics", description="Read from Redis at scrape time.")
    def get(self, request: Any) -> HttpResponse:
        text = render(snapshot(get_queue(), mirror_group=GROUP))
        return HttpResponse(text, content_type=CONTENT_TYPE)


def _label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: Any) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _family(name: str, kind: str, help: str, samples: Iterable[tuple[str, dict[str, Any], Any]]) -> list[str]:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{suffix}{_labels(**labels)} {value}" for suffix, labels, value in samples]
    return lines


def render(s: Snapshot) -> str:
    """The exposition text of one snapshot."""
    lines: list[str] = []
    lines += _family("kue_jobs", "gauge", "Jobs in each state, per job type.",
                     (("", {"type": t, "state": st}, n) for (t, st), n in sorted(s.jobs.items())))
    lines += _family("kue_jobs_completed_total", "counter", "Jobs completed, per job type.",
                     (("", {"type": t}, h.count) for t, h in sorted(s.durations.items())))
    lines += _family("kue_jobs_failed_total", "counter",
                     "Jobs failed for good (no attempt left), per job type.",
                     (("", {"type": t}, n) for t, n in sorted(s.failed.items())))
    lines += _family("kue_job_attempts_failed_total", "counter",
                     "Failed attempts (errors, ttl, shutdown, stalled), per job type.",
                     (("", {"type": t}, n) for t, n in sorted(s.failed_attempts.items())))
    lines += _family("kue_job_duration_seconds", "histogram",
                     "Run time of completed jobs, per job type.", _duration_samples(s))
    lines += _family("kue_workers_alive", "gauge", "Workers that sent a heartbeat within a lease.",
                     [("", {}, len(s.workers))])
    lines += _family("kue_worker_active_jobs", "gauge", "Jobs each live worker is running.",
                     (("", {"worker": w.get("id"), "host": w.get("host"), "pid": w.get("pid")},
                       w.get("active", 0)) for w in s.workers))
    if s.mirror_lag_ms is not None:
        lines += _family("kue_mirror_lag_seconds", "gauge",
                         "Age of the oldest job event the admin's job mirror has not applied yet.",
                         [("", {}, s.mirror_lag_ms / 1000)])
    return "\n".join(lines) + "\n"


def _duration_samples(s: Snapshot) -> Iterable[tuple[str, dict[str, Any], Any]]:
    for type_, h in sorted(s.durations.items()):
        bounds = [str(b / 1000) for b in BUCKETS_MS] + ["+Inf"]
        for le, count in zip(bounds, h.buckets):
            yield "_bucket", {"type": type_, "le": le}, count
        yield "_sum", {"type": type_}, h.sum_ms / 1000
        yield "_count", {"type": type_}, h.count
