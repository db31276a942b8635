"""``GET /workers``: every live worker of the queue (host, pid, types with their concurrency,
active jobs, last heartbeat), from the records their heartbeats keep in Redis."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..connection import get_queue
from ..core import clock, workers
from .documented import DescribedView, document

# one record as core/workers.record() writes it, plus the age the view adds
WORKERS = inline_serializer("Worker", {
    "id": serializers.CharField(help_text="kue:<host>:<pid> by default"),
    "host": serializers.CharField(),
    "pid": serializers.IntegerField(),
    "types": serializers.DictField(child=serializers.IntegerField(),
                                   help_text="job type -> concurrency"),
    "active": serializers.IntegerField(help_text="jobs running now"),
    "jobs": serializers.ListField(child=serializers.IntegerField(),
                                  help_text=f"ids of the running jobs (at most "
                                            f"{workers.MAX_LISTED_JOBS})"),
    "processed": serializers.IntegerField(help_text="jobs settled since the worker started"),
    "heartbeat_at": serializers.IntegerField(help_text="epoch ms of the last heartbeat"),
    "started_at": serializers.IntegerField(help_text="epoch ms"),
    "heartbeat_age_ms": serializers.IntegerField(),
}, many=True)


class WorkersView(DescribedView, APIView):
    @document(operation_id="workers_list", tags=["workers"],
              responses=WORKERS, summary="The live workers",
              description="Workers whose heartbeat is younger than one LEASE, by host and pid.")
    def get(self, request: Any) -> Response:
        now = clock.now_ms()
        found = workers.live(get_queue())
        for item in found:
            item["heartbeat_age_ms"] = max(0, now - int(item["heartbeat_at"]))
        return Response(found)
