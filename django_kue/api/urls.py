"""The URL table: Kue's paths spelled out (their ``:from..:to`` segments are not a router's),
then the REST API through DefaultRouter. Trailing slashes are optional on Kue's paths.

Order matters as in Kue's registration: fixed words (stats, search, types) before ``:id``,
and the range routes told apart by which segment holds the ``..``.
"""

from __future__ import annotations

from django.urls import include, path, re_path

from . import kue, metrics, periodic, rest, workers

SEG = r"[^/]+"
SPAN = r"[^/]*\.\.[^/]*"
ORDER = rf"(?:/(?P<order>{SEG}))?"

job = kue.KueViewSet.as_view
jobs = kue.KueRangeViewSet.as_view

urlpatterns = [
    re_path(r"^stats/?$", job({"get": "stats"}), name="kue-stats"),
    re_path(r"^job/search/?$", job({"get": "search"}), name="kue-search"),
    re_path(r"^job/types/?$", job({"get": "types"}), name="kue-types"),
    re_path(r"^periodic/?$", periodic.PeriodicView.as_view(), name="kue-periodic"),
    re_path(r"^job/?$", job({"post": "create"}), name="kue-create"),
    re_path(rf"^job/(?P<job_id>{SEG})/?$", job({"get": "retrieve", "delete": "destroy"}),
            name="kue-job"),
    re_path(rf"^job/(?P<job_id>{SEG})/log/?$", job({"get": "log"}), name="kue-log"),
    re_path(rf"^job/(?P<job_id>{SEG})/cancel/?$", job({"post": "cancel"}), name="kue-cancel"),
    re_path(rf"^job/(?P<job_id>{SEG})/state/(?P<state>{SEG})/?$", job({"put": "set_state"}),
            name="kue-state"),
    re_path(rf"^job/(?P<job_id>{SEG})/priority/(?P<priority>{SEG})/?$",
            job({"put": "set_priority"}), name="kue-priority"),
    re_path(rf"^jobs/(?P<span>{SPAN}){ORDER}/?$", jobs({"get": "all"}), name="kue-range"),
    re_path(rf"^jobs/(?P<type>{SEG})/(?P<state>{SEG})/stats/?$", jobs({"get": "type_stats"}),
            name="kue-type-stats"),
    re_path(rf"^jobs/(?P<type>{SEG})/(?P<state>{SEG})/(?P<span>{SPAN}){ORDER}/?$",
            jobs({"get": "by_type"}), name="kue-range-by-type"),
    re_path(rf"^jobs/(?P<state>{SEG})/(?P<span>{SPAN}){ORDER}/?$", jobs({"get": "by_state"}),
            name="kue-range-by-state"),
    # the REST API
    path("api/stats/", rest.StatsView.as_view(), name="api-stats"),
    path("api/types/", rest.TypesView.as_view(), name="api-types"),
    path("api/schema/", rest.SchemaView.as_view(), name="api-schema"),
    path("api/", include(rest.router.urls)),
    re_path(r"^workers/?$", workers.WorkersView.as_view(), name="kue-workers"),
    re_path(r"^metrics/?$", metrics.MetricsView.as_view(), name="kue-metrics"),
    # anything else under this include: a JSON 404 after the permission check, never HTML
    re_path(r"^[\s\S]*$", kue.UnknownRoute.as_view(), name="kue-unknown"),
]
