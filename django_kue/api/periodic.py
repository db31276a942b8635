"""GET /periodic (beyond Kue): the periodic schedules, with their next and last run."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import periodic
from ..connection import get_queue
from ..core import clock
from ..core.periodic import last_ticks
from .base import PinnedMixin


class PeriodicView(PinnedMixin, APIView):
    """Each schedule: name, type, cron or every (ms), next_run and last_run (epoch ms as
    strings, Kue's style for times; last_run is the last tick taken by any worker, or null)."""

    def get(self, request: Request) -> Response:
        schedules = periodic.schedules()
        last = last_ticks(get_queue(), schedules)
        now = clock.now_ms()
        body = []
        for schedule in schedules:
            following = schedule.next_tick(now)
            body.append({**schedule.describe(),
                         "next_run": None if following is None else str(following),
                         "last_run": None if last[schedule.name] is None else str(last[schedule.name])})
        return Response(body)
