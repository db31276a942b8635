"""What puts a view into the OpenAPI schema served at /kue/api/schema/.

The schema covers the REST API (rest.py) and the beyond-Kue routes a client may call
(``/workers``, ``/metrics``, ``/periodic``): their views derive from ``DescribedView``. Kue's
own routes (kue.py) do not: their shapes are Kue's, documented in the README, and a schema of
them would describe Kue's quirks as a design.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema

from .base import PinnedMixin


class DescribedView(PinnedMixin):
    """Base of the views in the schema: pinned like Kue's, and described by drf-spectacular."""

    schema = AutoSchema()


def document(base: type[AutoSchema] = AutoSchema, **kwargs: Any) -> Any:
    """drf-spectacular's ``extend_schema`` based on its own AutoSchema (or ``base``), not on
    the host's ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` (DRF's own unless the host set it)."""

    def decorate(fn: Any) -> Any:
        fn.schema = base
        return extend_schema(**kwargs)(fn)

    return decorate
