"""The conventional REST API beside Kue's: /api/jobs/ (list with filters and a cursor, create,
retrieve, delete, retry, priority), /api/stats/, /api/types/, and its OpenAPI 3 schema.

Redis is the truth here too: the list pages through the state's sorted set in Redis, with a
cursor that remembers the last job seen, so jobs arriving meanwhile do not shift the pages.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter
from rest_framework.views import APIView

from .. import __version__
from ..connection import get_queue
from ..core.queue import Queue, parse_id
from ..core.states import parse_priority, parse_state
from .base import PinnedMixin
from .documented import DescribedView, document
from .errors import BadRequest, Conflict
from .serializers import (
    JobCreateSerializer,
    JobSerializer,
    PrioritySerializer,
    StatsSerializer,
    TypeSerializer,
)

PAGE_SIZE, MAX_PAGE_SIZE = 50, 500


class RestView(DescribedView):
    """Base of the REST views (in the schema, as DescribedView says)."""


def _zid(job_id: int) -> str:
    """Kue's zset member for an id ("01|7"): what ZRANK needs to find the cursor's job."""
    return f"{len(str(job_id)):02d}|{job_id}"


def _encode_cursor(last_id: int, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([last_id, offset]).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[int, int]:
    try:
        last_id, offset = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < 2**53:
            raise ValueError
        return parse_id(last_id), offset
    except Exception:  # any garbage in a cursor is the client's mistake, never a 500
        raise BadRequest("invalid cursor: use the 'next' link of the previous page") from None


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:  # not "²"
        raise BadRequest(f"{name} must be an integer from {low} to {high}, not {text!r}")
    return int(text)


def _list_key(queue: Queue, request: Request) -> str:
    state, job_type = request.query_params.get("state"), request.query_params.get("type")
    if job_type is not None and state is None:
        raise BadRequest("filtering by type needs a state too: ?type=email&state=failed")
    if state is None:
        return queue.keys.jobs
    state = parse_state(state).value
    return queue.keys.type_state(job_type, state) if job_type else queue.keys.state(state)


LIST_PARAMETERS = [
    OpenApiParameter("state", str, enum=["inactive", "delayed", "active", "complete", "failed"]),
    OpenApiParameter("type", str, description="needs state"),
    OpenApiParameter("order", str, enum=["desc", "asc"],
                     description="desc (default): newest, or the end of the state's order"),
    OpenApiParameter("limit", int, description=f"jobs per page, 1-{MAX_PAGE_SIZE}"),
    OpenApiParameter("cursor", str, description="from the previous page's next link"),
]
PAGE = inline_serializer("JobPage", {"next": serializers.URLField(allow_null=True),
                                     "results": JobSerializer(many=True)})


class OnePage(AutoSchema):
    """The list answers one page object (``next`` and ``results``): drf-spectacular would
    describe any ``list`` action's response as an array of it."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class JobViewSet(RestView, viewsets.ViewSet):
    lookup_value_regex = r"[^/]+"

    @document(base=OnePage, operation_id="jobs_list", parameters=LIST_PARAMETERS, responses=PAGE)
    def list(self, request: Request) -> Response:
        queue = get_queue()
        key = _list_key(queue, request)
        size = _int_param(request, "limit", PAGE_SIZE, 1, MAX_PAGE_SIZE)
        order = request.query_params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise BadRequest(f"order must be asc or desc, not {order!r}")
        start = 0
        cursor = request.query_params.get("cursor")
        if cursor:
            last_id, start = _decode_cursor(cursor)
            rank_of = queue.client.zrevrank if order == "desc" else queue.client.zrank
            rank: Any = rank_of(key, _zid(last_id))
            start = start if rank is None else rank + 1  # the cursor's job left: keep the offset
        members: Any = queue.client.zrange(key, start, start + size - 1, desc=(order == "desc"))
        ids = [int(m[3:]) for m in members]
        jobs = queue.get_jobs(ids)
        following = None
        if len(ids) == size:
            params = request.query_params.copy()
            params["cursor"] = _encode_cursor(ids[-1], start + size)
            following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        return Response({"next": following, "results": JobSerializer(jobs, many=True).data})

    @document(request=JobCreateSerializer, responses={201: JobSerializer})
    def create(self, request: Request) -> Response:
        incoming = JobCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        queue = get_queue()
        job = incoming.to_job(queue)
        queue.save_jobs([job])
        return Response(JobSerializer(queue.get_job(job.id)).data, status=status.HTTP_201_CREATED)

    @document(responses=JobSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(JobSerializer(get_queue().get_job(pk)).data)

    @document(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        get_queue().remove(pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @document(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """Queue the job again (Kue's UI "restart"); an active or queued job is refused (409)."""
        queue = get_queue()
        job = queue.get_job(pk)
        if job.state in ("active", "inactive"):
            raise Conflict(f"job {job.id} is {job.state}; only delayed, complete or failed "
                           f"jobs can be retried")
        queue.set_state(job.id, "inactive")
        return Response(JobSerializer(queue.get_job(job.id)).data)

    @document(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel: a queued job ends failed with error "cancelled"; a running one is asked to
        stop (its handler sees job.cancelled). A complete or failed job is refused (400)."""
        queue = get_queue()
        queue.cancel(pk)
        return Response(JobSerializer(queue.get_job(pk)).data)

    @document(request=PrioritySerializer, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request: Request, pk: str) -> Response:
        incoming = PrioritySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        number = parse_priority(incoming.validated_data["priority"])
        queue = get_queue()
        queue.set_priority(parse_id(pk), number)
        return Response(JobSerializer(queue.get_job(pk)).data)


class StatsView(RestView, APIView):
    @document(parameters=[OpenApiParameter("type", str)], responses=StatsSerializer)
    def get(self, request: Request) -> Response:
        queue = get_queue()
        counts = queue.counts(request.query_params.get("type") or None)
        return Response({"counts": counts, "work_time": queue.work_time()})


class TypesView(RestView, APIView):
    @document(responses=TypeSerializer(many=True))
    def get(self, request: Request) -> Response:
        queue = get_queue()
        return Response([{"type": t, "counts": queue.counts(t)} for t in queue.types()])


class KueSchemaGenerator(SchemaGenerator):
    """The schema of the REST API and the beyond-Kue routes (documented.py says why not Kue's
    own), wherever the host mounted them."""

    def _initialise_endpoints(self) -> None:
        super()._initialise_endpoints()
        self.endpoints = [(_optional_slash(path, regex), regex, *rest)
                          for path, regex, *rest in self.endpoints
                          if issubclass(getattr(rest[1], "cls", object), DescribedView)]


def _optional_slash(path: str, regex: str) -> str:
    """Kue-style routes (``^workers/?$``) take the slash or not: described without it, as
    Kue's clients and the README write them (drf-spectacular would keep the slash)."""
    return path[:-1] if regex.endswith("/?$") and path.endswith("/") else path


PATH_PREFIX = r"^.*/api(?=/)"


class SchemaView(PinnedMixin, SpectacularAPIView):
    """GET /kue/api/schema/: OpenAPI 3 as JSON, or YAML with ?format=yaml."""

    renderer_classes = [OpenApiJsonRenderer, OpenApiYamlRenderer]  # errors as JSON by default
    content_negotiation_class = DefaultContentNegotiation
    generator_class = KueSchemaGenerator
    custom_settings = {"TITLE": "django-kue REST API", "VERSION": __version__,
                       "DESCRIPTION": "Jobs of the Redis-backed priority queue (Kue's model).",
                       # what operation ids and tags leave out: the mount point and api/
                       # ("jobs_list", tag "jobs"), wherever the host mounted the app; the
                       # beyond-Kue routes name theirs (documented.py)
                       "SCHEMA_PATH_PREFIX": PATH_PREFIX}


class RootView(PinnedMixin, APIRootView):
    pass


class Router(DefaultRouter):
    APIRootView = RootView
    include_format_suffixes = False


router = Router()
router.register("jobs", JobViewSet, basename="job")
