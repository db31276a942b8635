"""Kue's JSON API: the same paths, methods, field names and value formats as Kue's
``lib/http/routes/json.js``, so an existing Kue client works unchanged.

What we fix (DESIGN.md, "Kue's quirks"): errors carry a real status (400/404/409/413/503)
with Kue's ``{"error": ...}`` body instead of a 200; state names, priorities, ids, ranges and
orders are validated; setting ``active`` by hand is refused; ``desc`` returns the newest jobs
of the state, not a reversed page. Dropped: ``GET /inactive/:id`` (a state change by GET).
The views are ViewSets without a queryset: Redis is the truth, read through the core queue.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..conf import kue_settings
from ..connection import get_queue
from ..core.errors import InvalidJob, KueError
from ..core.job import Job
from ..core.queue import parse_id
from ..core.states import parse_priority, parse_state
from .base import PinnedMixin
from .errors import BadRequest, TooLarge, status_of
from .serializers import job_from_kue, kue_job, kue_stats

SPAN = re.compile(r"^(-?\d{1,15})\.\.(-?\d{1,15})$")
MAX_QUERY = 1000  # characters of a search query


def parse_span(text: str) -> tuple[int, int]:
    """Kue's ``:from..:to``: inclusive indexes, negative ones counting from the end."""
    match = SPAN.match(text or "")
    if not match:
        raise BadRequest(f"invalid range {text!r}: expected from..to, e.g. 0..9")
    return int(match[1]), int(match[2])


class KueViewSet(PinnedMixin, viewsets.ViewSet):
    """GET /stats, /job/search, /job/types and the routes of one job (/job/:id ...)."""

    def stats(self, request: Request) -> Response:
        queue = get_queue()
        return Response(kue_stats(queue.counts(), queue.work_time()))

    def search(self, request: Request) -> Response:
        queue = get_queue()
        query = request.query_params.get("q", "")
        if not queue.config.search:
            raise BadRequest("search is off: set KUE['SEARCH'] = True to index jobs' search_keys")
        if len(query) > MAX_QUERY:
            raise BadRequest(f"search query over {MAX_QUERY} characters")
        return Response([str(job_id) for job_id in queue.search(query)])

    def types(self, request: Request) -> Response:
        return Response(get_queue().types())

    def retrieve(self, request: Request, job_id: str) -> Response:
        return Response(kue_job(get_queue().get_job(job_id), string_id=True))

    def log(self, request: Request, job_id: str) -> Response:
        queue = get_queue()
        queue.get_job(job_id)  # 404 for an unknown job (Kue sent [])
        return Response(queue.log_lines(job_id))

    def destroy(self, request: Request, job_id: str) -> Response:
        number = parse_id(job_id)
        get_queue().remove(number)
        return Response({"message": f"job {number} removed"})

    def set_state(self, request: Request, job_id: str, state: str) -> Response:
        number, state = parse_id(job_id), parse_state(state).value
        get_queue().set_state(number, state)
        return Response({"message": "updated state"})

    def cancel(self, request: Request, job_id: str) -> Response:
        """POST /job/:id/cancel (beyond Kue): a queued job ends cancelled now; a running one
        is asked to stop (core/cancel.py). 404 unknown, 400 complete or failed already."""
        number = parse_id(job_id)
        before = get_queue().cancel(number)
        if before == "active":
            return Response({"message": f"job {number} asked to stop", "state": "active"})
        return Response({"message": f"job {number} cancelled", "state": "failed"})

    def set_priority(self, request: Request, job_id: str, priority: str) -> Response:
        number, value = parse_id(job_id), parse_priority(priority)
        get_queue().set_priority(number, value)
        return Response({"message": "updated priority"})

    def create(self, request: Request) -> Response:
        """POST /job: one job, or an array created in order (bad elements get an error)."""
        body = request.data
        if body is None or body == {} or body == []:
            return Response(status=status.HTTP_204_NO_CONTENT)  # Kue's answer to an empty body
        if isinstance(body, list):
            return self._create_many(body)
        if not isinstance(body, dict):
            raise InvalidJob("the body must be a job object or an array of them")
        queue = get_queue()
        job = job_from_kue(queue, body)
        queue.save_jobs([job])
        return Response({"message": "job created", "id": job.id})

    def _create_many(self, items: list[Any]) -> Response:
        limit = kue_settings.API_MAX_BULK
        if len(items) > limit:
            raise TooLarge(f"{len(items)} jobs in one request; the limit is {limit} "
                           f"(KUE['API_MAX_BULK'])")
        queue = get_queue()
        built: list[Job | KueError] = []
        for item in items:
            try:
                built.append(job_from_kue(queue, item))
            except KueError as exc:
                built.append(exc)
        queue.save_jobs([job for job in built if isinstance(job, Job)])
        body = [{"message": "job created", "id": item.id} if isinstance(item, Job)
                else {"error": str(item)} for item in built]
        # Kue's status: the first failed element's, else 200; the created jobs stay created
        code = next((status_of(item) for item in built if isinstance(item, KueError)), 200)
        return Response(body, status=code)


class KueRangeViewSet(PinnedMixin, viewsets.ViewSet):
    """GET /jobs/:from..:to/:order?, /jobs/:state/..., /jobs/:type/:state/..., and stats."""

    def all(self, request: Request, span: str, order: str | None = None) -> Response:
        start, stop = parse_span(span)
        return _jobs(get_queue().range(start, stop, order or "asc"))

    def by_state(self, request: Request, state: str, span: str, order: str | None = None) -> Response:
        start, stop = parse_span(span)
        return _jobs(get_queue().range_by_state(state, start, stop, order or "asc"))

    def by_type(self, request: Request, type: str, state: str, span: str,
                order: str | None = None) -> Response:
        start, stop = parse_span(span)
        return _jobs(get_queue().range_by_type(type, state, start, stop, order or "asc"))

    def type_stats(self, request: Request, type: str, state: str) -> Response:
        return Response({"count": get_queue().card(state, type)})


def _jobs(jobs: list[Job]) -> Response:
    return Response([kue_job(job) for job in jobs])


class UnknownRoute(PinnedMixin, APIView):
    """Any other path under the include: a JSON 404 (after the permission check)."""

    def missing(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rest = "/api/" in request.path and not request.path.endswith("/")
        hint = " (the REST API's paths end with /)" if rest else ""
        raise NotFound(f"no such route: {request.method} {request.path}{hint}")

    get = post = put = patch = delete = missing
