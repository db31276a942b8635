"""GET /periodic (beyond Kue): the periodic schedules, with their next and last run."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import periodic
from ..connection import get_queue
from ..core import clock
from ..core.periodic import last_ticks
from .documented import DescribedView, document

# Schedule.describe() plus the two runs; times are strings as in Kue's job JSON
SCHEDULES = inline_serializer("PeriodicSchedule", {
    "name": serializers.CharField(),
    "type": serializers.CharField(help_text="the job type it enqueues"),
    "cron": serializers.CharField(allow_null=True, help_text="cron expression, or null"),
    "every": serializers.IntegerField(allow_null=True, help_text="interval in ms, or null"),
    "next_run": serializers.CharField(allow_null=True,
                                      help_text="epoch ms as a string; null if none is due"),
    "last_run": serializers.CharField(allow_null=True,
                                      help_text="epoch ms as a string of the last tick taken "
                                                "by any worker; null before the first"),
}, many=True)


class PeriodicView(DescribedView, APIView):
    """Each schedule: name, type, cron or every (ms), next_run and last_run (epoch ms as
    strings, Kue's style for times; last_run is the last tick taken by any worker, or null)."""

    @document(operation_id="periodic_list", tags=["periodic"],
              responses=SCHEDULES, summary="The periodic schedules",
              description="KUE['PERIODIC'] and @periodic schedules, with their next and last run.")
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
