"""Who may use the APIs: staff only, unless ``KUE["API_PERMISSION_CLASSES"]`` says otherwise;
by default a write also needs the job model's permission, as in the admin (add to create a
job, delete to remove one, change for the rest), so view-only staff cannot act on jobs.

The setting is read on every request (not at import), so ``override_settings`` and a changed
setting take effect at once. Anonymous requests get 401 (Basic auth offered) or 403, never data.
"""

from __future__ import annotations

from typing import Any, Iterable

from django.utils.module_loading import import_string
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from ..conf import kue_settings


def _classes(value: Iterable[Any]) -> list[type]:
    return [import_string(item) if isinstance(item, str) else item for item in value]


def authenticators() -> list[BaseAuthentication]:
    """KUE["API_AUTHENTICATION_CLASSES"], instantiated (Basic and session by default)."""
    return [cls() for cls in _classes(kue_settings.API_AUTHENTICATION_CLASSES)]


class IsStaff(BasePermission):
    """An authenticated, active staff user (the default, as for the admin)."""

    message = "staff only: log in as a staff user"

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class HasJobPermission(BasePermission):
    """A write needs the job model's permission for it, as the admin's actions do: ``create``
    needs ``add_jobrecord``, ``destroy`` ``delete_jobrecord``, any other write (state,
    priority, retry) ``change_jobrecord``. Superusers have them all."""

    message = "you do not have the permission to change jobs"

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        action = getattr(view, "action", None)
        codename = {"create": "add", "destroy": "delete"}.get(action, "change")
        if not request.user.has_perm(f"django_kue.{codename}_jobrecord"):
            self.message = f"you need the django_kue.{codename}_jobrecord permission for this"
            return False
        return True


class KuePermission(BasePermission):
    """Every class of KUE["API_PERMISSION_CLASSES"] must allow (IsStaff when it is None)."""

    message = IsStaff.message

    def _permissions(self) -> list[BasePermission]:
        configured = kue_settings.API_PERMISSION_CLASSES
        if configured is None:
            return [IsStaff(), HasJobPermission()]
        return [cls() for cls in _classes(configured)]

    def has_permission(self, request: Any, view: Any) -> bool:
        for permission in self._permissions():
            if not permission.has_permission(request, view):
                self.message = getattr(permission, "message", self.message)
                return False
        return True

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return all(p.has_object_permission(request, view, obj) for p in self._permissions())
