"""Every error of the APIs becomes a 4xx (or 503) with Kue's body ``{"error": "..."}``.

This is the only place that maps exceptions to HTTP. Kue answered most errors with a 200;
we keep its body and give it a real status: 400 bad input, 404 unknown job or route,
409 a change the job's state refuses, 413 too large, 503 Redis unreachable.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from ..core.errors import InvalidJob, JobNotFound, KueError, PayloadTooLarge

logger = logging.getLogger("django_kue.api")


class Conflict(exceptions.APIException):
    """The job exists but its state refuses the change (retrying an active job)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "the job's state refuses this change"


class TooLarge(exceptions.APIException):
    """A body over KUE["API_MAX_BODY"] bytes, or a bulk array over KUE["API_MAX_BULK"] jobs."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "request too large"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "bad request"


def status_of(exc: KueError) -> int:
    """The HTTP status of a core error (also used per element of a bulk POST /job)."""
    if isinstance(exc, PayloadTooLarge):
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    if isinstance(exc, JobNotFound):
        return status.HTTP_404_NOT_FOUND
    if isinstance(exc, InvalidJob):
        return status.HTTP_400_BAD_REQUEST
    return status.HTTP_409_CONFLICT


def message(detail: Any) -> str:
    """One readable line from DRF's nested error details."""
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {message(value)}" if key != "non_field_errors" else message(value)
                         for key, value in detail.items())
    if isinstance(detail, (list, tuple)):
        return "; ".join(message(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Pinned on every API view, so the host's EXCEPTION_HANDLER cannot change the bodies."""
    if isinstance(exc, KueError):
        return Response({"error": str(exc)}, status=status_of(exc))
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        logger.warning("API request failed: Redis is unreachable: %s", exc)
        return Response({"error": "Redis is unreachable; try again later"},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django report it
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response({"error": message(exc.detail)}, status=exc.status_code, headers=headers)
