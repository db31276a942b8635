"""``GET /workers``: every live worker of the queue (host, pid, types with their concurrency,
active jobs, last heartbeat), from the records their heartbeats keep in Redis."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import APIView

from ..connection import get_queue
from ..core import clock, workers
from .base import PinnedMixin


class WorkersView(PinnedMixin, APIView):
    def get(self, request: Any) -> Response:
        now = clock.now_ms()
        found = workers.live(get_queue())
        for item in found:
            item["heartbeat_age_ms"] = max(0, now - int(item["heartbeat_at"]))
        return Response(found)
