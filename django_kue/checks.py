"""System checks for settings.KUE (offline: no check touches the network)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from .conf import validate


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return [Error(message, hint=hint or None, id=f"django_kue.{code}")
            for code, message, hint in validate()]
