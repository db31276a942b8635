"""The job browser in the Django admin: the mirror table, read-only.

Every change goes to Redis first, through the core (retry, remove, priority), and then the
rows are refreshed from Redis; nothing is ever written to the table alone. Removing uses the
admin's own delete confirmation, so a bulk removal is always confirmed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from .connection import get_queue
from .core.errors import InvalidPriority, JobNotFound, KueError
from .core.states import parse_priority
from .dashboard import Dashboard as DashboardViews
from .mirror import Mirror
from .models import Dashboard, JobRecord

logger = logging.getLogger("django_kue.admin")


class PriorityActionForm(ActionForm):
    priority = forms.CharField(required=False, label="priority",
                               help_text="low, normal, medium, high, critical or an integer",
                               widget=forms.TextInput(attrs={"size": 8}))


def _pretty(value: Any) -> str:
    if value in (None, "", {}):
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


@admin.register(JobRecord)
class JobRecordAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "state", "priority", "title", "progress_bar", "attempts",
                    "cancelled", "created_at", "updated_at")
    list_display_links = ("id", "title")
    list_filter = ("state", "cancelled", "type")
    search_fields = ("title", "data", "unique_key")
    date_hierarchy = "created_at"
    list_per_page = 50
    action_form = PriorityActionForm
    actions = ["retry", "set_priority", "delete_selected"]
    change_form_template = "django_kue/admin/job_change_form.html"
    change_list_template = "django_kue/admin/job_change_list.html"
    fieldsets = (
        (None, {"fields": ("id", "type", "state", "priority", "title", "progress_bar",
                           "attempts", "worker_id")}),
        ("Times", {"fields": ("created_at", "updated_at", "promote_at", "started_at",
                              "failed_at", "duration", "synced_at")}),
        ("Beyond Kue", {"fields": ("cancelled", "unique_key_text", "depends_on_links",
                                   "dependents_links")}),
        ("Data and outcome", {"fields": ("data_pretty", "progress_data_pretty", "result_pretty",
                                         "error", "stack_pre", "log_lines")}),
    )

    # -- read-only: the table is a copy of Redis ---------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the form never writes; actions check has_retry_permission instead

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("django_kue.change_jobrecord")

    # -- columns and detail fields -----------------------------------------------------------
    @admin.display(description="progress", ordering="progress")
    def progress_bar(self, obj: JobRecord) -> str:
        return format_html('<progress max="100" value="{}" title="{}%"></progress> {}%',
                           obj.progress, obj.progress, obj.progress)

    @admin.display(description="attempts", ordering="attempts_made")
    def attempts(self, obj: JobRecord) -> str:
        return f"{obj.attempts_made}/{obj.max_attempts}"

    @admin.display(description="data")
    def data_pretty(self, obj: JobRecord) -> str:
        return _pretty(obj.data)

    @admin.display(description="progress data")
    def progress_data_pretty(self, obj: JobRecord) -> str:
        return _pretty(obj.progress_data)

    @admin.display(description="result")
    def result_pretty(self, obj: JobRecord) -> str:
        return _pretty(obj.result)

    @admin.display(description="stack")
    def stack_pre(self, obj: JobRecord) -> str:
        return format_html("<pre>{}</pre>", obj.stack) if obj.stack else "-"

    @admin.display(description="unique key")
    def unique_key_text(self, obj: JobRecord) -> str:
        return obj.unique_key or "-"

    @admin.display(description="depends on")
    def depends_on_links(self, obj: JobRecord) -> str:
        return self._job_links(obj.depends_on)

    @admin.display(description="dependents (waiting for it)")
    def dependents_links(self, obj: JobRecord) -> str:
        return self._job_links(obj.dependents)

    def _job_links(self, ids: Any) -> str:
        """Links to these jobs' pages; an id with no row (removed since) is shown unlinked,
        rather than as a link that would only say the job does not exist."""
        if not isinstance(ids, list):  # only a hash edited by hand holds anything else
            return "-"
        ids = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        if not ids:
            return "-"
        known = set(JobRecord.objects.filter(id__in=ids).values_list("id", flat=True))
        name = f"{self.admin_site.name}:django_kue_jobrecord_change"
        return format_html_join(", ", "{}", (
            (format_html('<a href="{}">#{}</a>', reverse(name, args=[i]), i) if i in known
             else format_html("#{} (gone)", i),) for i in ids))

    @admin.display(description="log (from Redis)")
    def log_lines(self, obj: JobRecord) -> str:
        try:
            lines = get_queue().log_lines(obj.id)
        except redis.ConnectionError as exc:
            return f"Redis unreachable: {exc}"
        if not lines:
            return "-"
        return format_html('<ol class="kue-log">{}</ol>',
                           format_html_join("", "<li><code>{}</code></li>", ((line,) for line in lines)))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f for _name, options in self.fieldsets for f in options["fields"]]

    # -- changing Redis, then the rows ------------------------------------------------------
    @admin.action(description="Retry selected jobs (back to inactive)", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: Any) -> None:
        self._each(request, list(queryset.values_list("id", flat=True)),
                   lambda q, job_id: q.set_state(job_id, "inactive"), "queued again")

    @admin.action(description="Set the priority of selected jobs", permissions=["retry"])
    def set_priority(self, request: HttpRequest, queryset: Any) -> None:
        try:
            priority = parse_priority(request.POST.get("priority", "").strip())
        except InvalidPriority as exc:
            self.message_user(request, f"Nothing changed: {exc}", messages.ERROR)
            return
        self._each(request, list(queryset.values_list("id", flat=True)),
                   lambda q, job_id: q.set_priority(job_id, priority), f"set to priority {priority}")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """The admin's (confirmed) bulk delete: removes the jobs from Redis."""
        self._each(request, list(queryset.values_list("id", flat=True)),
                   lambda q, job_id: q.remove(job_id), None)

    def delete_model(self, request: HttpRequest, obj: JobRecord) -> None:
        self._each(request, [obj.id], lambda q, job_id: q.remove(job_id), None)

    def _each(self, request: HttpRequest, ids: list[int], change: Any, done: str | None) -> int:
        queue = get_queue()
        changed, missing = [], []
        for job_id in ids:
            try:
                change(queue, job_id)
                changed.append(job_id)
            except JobNotFound:
                missing.append(job_id)
            except KueError as exc:
                self.message_user(request, f"job {job_id}: {exc}", messages.ERROR)
        Mirror(queue).refresh(ids)  # the rows follow Redis now, not when the syncer gets there
        if done and changed:
            self.message_user(request, f"{len(changed)} job(s) {done}.", messages.SUCCESS)
        if missing:
            self.message_user(request, f"{len(missing)} job(s) no longer exist in Redis; their "
                              "rows were dropped.", messages.WARNING)
        return len(changed)

    # -- one job's buttons, and the lag ------------------------------------------------------
    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:job_id>/retry/", view(self.retry_one), name="django_kue_jobrecord_retry"),
            path("<int:job_id>/priority/", view(self.priority_one),
                 name="django_kue_jobrecord_priority"),
            *super().get_urls(),
        ]

    def _one(self, request: HttpRequest, job_id: int, action: Any) -> HttpResponseRedirect:
        target = reverse("admin:django_kue_jobrecord_change", args=[job_id])
        if request.method != "POST" or not self.has_retry_permission(request):
            self.message_user(request, "Not allowed.", messages.ERROR)
            return HttpResponseRedirect(target)
        action(request, JobRecord.objects.filter(id=get_object_or_404(JobRecord, id=job_id).id))
        return HttpResponseRedirect(target)

    def retry_one(self, request: HttpRequest, job_id: int) -> HttpResponseRedirect:
        return self._one(request, job_id, self.retry)

    def priority_one(self, request: HttpRequest, job_id: int) -> HttpResponseRedirect:
        return self._one(request, job_id, self.set_priority)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        try:
            lag = Mirror().lag()
            lag_text = ("unknown: no syncer has run yet (runkueworker or kuemirror)" if lag is None
                        else f"{lag} event(s) not yet applied")
        except redis.ConnectionError as exc:
            lag_text = f"unknown: Redis unreachable ({exc})"
        return super().changelist_view(request, {**(extra_context or {}), "mirror_lag": lag_text})

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> Any:
        context = {**(extra_context or {}), "can_retry": self.has_retry_permission(request)}
        return super().change_view(request, object_id, form_url, context)


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """Kue's UI as the changelist of the table-less Dashboard model (django-rq's pattern).

    Viewing needs ``django_kue.view_dashboard``; acting on jobs needs the job mirror's change
    permission, as the job list's actions do.
    """

    VIEW_PERM = "django_kue.view_dashboard"
    CHANGE_PERM = "django_kue.change_jobrecord"

    def _views(self) -> DashboardViews:
        return DashboardViews(self.admin_site, self.VIEW_PERM, self.CHANGE_PERM)

    def get_urls(self) -> list[Any]:
        return self._views().urls() + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None):
        return self._views().page(request, extra_context)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(self.VIEW_PERM)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
