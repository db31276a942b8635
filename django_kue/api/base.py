"""What every API view pins, so that the host's ``REST_FRAMEWORK`` defaults cannot leak in:
renderer, parser, content negotiation, authentication, permission, exception handler.

The parser reads at most ``KUE["API_MAX_BODY"]`` bytes and refuses what JSON should not carry
(NaN, Infinity, nesting deeper than ``MAX_DEPTH``), so no request body can reach a 5xx.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from ..conf import kue_settings
from .errors import BadRequest, TooLarge, exception_handler
from .permissions import KuePermission, authenticators

MAX_DEPTH = 100  # levels of nested arrays/objects in a request body


class KueJSONRenderer(JSONRenderer):
    """Compact UTF-8 JSON, as Kue's ``res.json`` sends it, whatever REST_FRAMEWORK says."""

    ensure_ascii = False
    compact = True
    strict = True


class OnlyJSON(DefaultContentNegotiation):
    """Always answer JSON: Kue's clients send ``Accept: application/json``, browsers ``*/*``,
    and a 406 for anything else would only hide the ``{"error"}`` body."""

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


class LimitedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = kue_settings.API_MAX_BODY
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise TooLarge(f"request body over {limit} bytes (KUE['API_MAX_BODY'])")
        try:
            value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise BadRequest("malformed JSON: the body is not UTF-8") from None
        except RecursionError:
            raise BadRequest(f"malformed JSON: nested deeper than {MAX_DEPTH} levels") from None
        except ValueError as exc:
            raise BadRequest(f"malformed JSON: {exc}") from None
        if _too_deep(value):
            raise BadRequest(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
        return value


class PinnedMixin:
    """Mixed into every API view (before the DRF view class)."""

    renderer_classes: list[Any] = [KueJSONRenderer]
    parser_classes: list[Any] = [LimitedJSONParser]
    permission_classes = [KuePermission]
    content_negotiation_class = OnlyJSON
    metadata_class = SimpleMetadata  # OPTIONS
    throttle_classes: list[Any] = []
    versioning_class = None
    filter_backends: list[Any] = []

    def get_authenticators(self) -> list[Any]:
        return authenticators()

    def get_exception_handler(self) -> Any:
        return exception_handler

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = kue_settings.API_MAX_BODY
        if length.isdecimal() and int(length) > limit:
            raise TooLarge(f"request body over {limit} bytes (KUE['API_MAX_BODY'])")
