"""Kue's UI as pages of the Django admin: the HTML shell and the JSON it polls.

The views live under the admin (``admin_site.admin_view``: its login, its permissions), read
Redis through the core, and never import the API package. One cheap poll endpoint feeds the
live parts: counts, throughput and the rows on screen, in a single pipelined read.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .connection import get_queue
from .core import clock, extras, workers
from .core.errors import KueError
from .core.queue import parse_id
from .core.states import PRIORITIES, STATES, parse_priority, parse_state, priority_name

PAGE = 50
MAX_IDS = 200  # rows refreshed per poll


def job_row(job: Any) -> dict[str, Any]:
    """What a list row and the detail panel show; titles are escaped by the browser (textContent)."""
    return {
        "id": job.id, "type": job.type, "title": job.title, "state": job.state,
        "priority": job.priority, "priority_name": priority_name(job.priority),
        "progress": job.progress(), "progress_data": job.progress_data,
        "attempts": {"made": job.attempts_made, "max": job.max_attempts},
        "created_at": job.created_at, "updated_at": job.updated_at,
        "started_at": job.started_at, "failed_at": job.failed_at,
        "promote_at": job.promote_at, "duration": job.duration, "delay": job.delay,
        "ttl": job.ttl, "error": job.error, "worker_id": job.worker_id,
    }


class Dashboard:
    """The dashboard's views for one admin site; ``urls()`` goes before the ModelAdmin's own."""

    def __init__(self, admin_site: Any, view_perm: str, change_perm: str) -> None:
        self.admin_site = admin_site
        self.view_perm = view_perm
        self.change_perm = change_perm

    def urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("poll/", wrap(self.poll), name="django_kue_dashboard_poll"),
            path("jobs/", wrap(self.jobs), name="django_kue_dashboard_jobs"),
            path("job/<str:job_id>/", wrap(self.job), name="django_kue_dashboard_job"),
            path("action/", wrap(self.action), name="django_kue_dashboard_action"),
        ]

    def _check(self, request: HttpRequest, change: bool = False) -> None:
        if not request.user.has_perm(self.change_perm if change else self.view_perm):
            raise PermissionDenied

    def page(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self._check(request)
        queue = get_queue()
        config = {
            "poll": reverse("admin:django_kue_dashboard_poll"),
            "jobs": reverse("admin:django_kue_dashboard_jobs"),
            "job": reverse("admin:django_kue_dashboard_job", args=["0"]),
            "action": reverse("admin:django_kue_dashboard_action"),
            "states": list(STATES), "priorities": PRIORITIES, "page": PAGE,
            "can_change": request.user.has_perm(self.change_perm),
            "search": queue.config.search,
        }
        context = {
            **self.admin_site.each_context(request),
            "title": "Kue dashboard",
            "kue_config": config,
            "types": queue.types(),
            "states": STATES,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "django_kue/dashboard.html", context)

    def poll(self, request: HttpRequest) -> JsonResponse:
        """Counts per state (for the type filter too), throughput, and the rows on screen."""
        self._check(request)
        queue = get_queue()
        type_ = request.GET.get("type") or None
        ids = _ids(request.GET.get("ids", ""))[:MAX_IDS]
        jobs = {job.id: job_row(job) for job in queue.get_jobs(ids)} if ids else {}
        return JsonResponse({
            "counts": queue.counts(type_),
            "total": queue.counts() if type_ else None,
            "types": queue.types(),
            "throughput": queue.throughput(seconds=120),
            "jobs": jobs,
            "gone": [i for i in ids if i not in jobs],
            "workers": workers.live(queue),
            "now": clock.now_ms(),
        })

    def jobs(self, request: HttpRequest) -> JsonResponse:
        """A page of a state's jobs (optionally of one type), or the matches of a search."""
        self._check(request)
        queue = get_queue()
        try:
            state = parse_state(request.GET.get("state", "active")).value
            order = request.GET.get("order", "asc")
            start = max(0, int(request.GET.get("start", 0)))
            query = (request.GET.get("q") or "").strip()
            type_ = request.GET.get("type") or None
            if query:
                found = _search(queue, query, state, type_)
                page = found[start:start + PAGE]
                return JsonResponse({"jobs": [job_row(j) for j in queue.get_jobs(page)],
                                     "next": start + PAGE if start + PAGE < len(found) else None,
                                     "total": len(found)})
            if type_:
                batch = queue.range_by_type(type_, state, start, start + PAGE - 1, order)
            else:
                batch = queue.range_by_state(state, start, start + PAGE - 1, order)
        except (KueError, ValueError) as exc:
            return JsonResponse({"error": str(exc)}, status=400)
        return JsonResponse({"jobs": [job_row(j) for j in batch],
                             "next": start + PAGE if len(batch) == PAGE else None,
                             "total": queue.card(state, type_)})

    def job(self, request: HttpRequest, job_id: str) -> JsonResponse:
        self._check(request)
        queue = get_queue()
        try:
            job = queue.get_job(job_id)
        except KueError as exc:
            return JsonResponse({"error": str(exc)}, status=404 if "exist" in str(exc) else 400)
        row = {**job_row(job), "data": job.data, "result": job.result, "stack": job.stack,
               "backoff": job.to_dict()["backoff"], "remove_on_complete": job.remove_on_complete,
               **extras.as_dict(job)}
        return JsonResponse({"job": row, "log": queue.log_lines(job.id)})

    def action(self, request: HttpRequest) -> JsonResponse:
        """retry / remove / cancel / priority on one or many jobs; Redis first, the mirror follows."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        self._check(request, change=True)
        try:
            body = json.loads(request.body or b"{}")
            action = body["action"]
            ids = [parse_id(i) for i in body["ids"]][:1000]
        except (ValueError, KeyError, TypeError, KueError) as exc:
            return JsonResponse({"error": f"bad request: {exc}"}, status=400)
        return JsonResponse(_act(get_queue(), action, ids, body.get("priority")))


def _act(queue: Any, action: str, ids: list[int], priority: Any) -> dict[str, Any]:
    done, errors = [], []
    for job_id in ids:
        try:
            if action == "retry":
                queue.set_state(job_id, "inactive")
            elif action == "remove":
                queue.remove(job_id)
            elif action == "cancel":
                queue.cancel(job_id)
            elif action == "priority":
                queue.set_priority(job_id, parse_priority(priority))
            else:
                return {"error": f"unknown action {action!r}"}
            done.append(job_id)
        except KueError as exc:
            errors.append({"id": job_id, "error": str(exc)})
    return {"done": done, "errors": errors}


def _search(queue: Any, query: str, state: str, type_: str | None) -> list[int]:
    """Kue's word search, the mirror's title/data search, or an id, narrowed to the list shown."""
    ids: list[int] = []
    if query.isdigit():
        ids.append(int(query))
    if queue.config.search:
        ids += queue.search(query)
    ids += _mirror_search(query)
    seen = dict.fromkeys(ids)
    jobs = queue.get_jobs(list(seen))
    return [j.id for j in jobs if j.state == state and (type_ is None or j.type == type_)]


def _mirror_search(query: str, limit: int = 1000) -> list[int]:
    """The mirror's search over title and data (Kue's own search is off by default)."""
    from django.db.models import Q

    from .models import JobRecord

    matches = JobRecord.objects.filter(Q(title__icontains=query) | Q(data__icontains=query))
    return list(matches.order_by("-id").values_list("id", flat=True)[:limit])


def _ids(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        if part.strip().isdigit():
            out.append(int(part))
    return out
