"""Where to look while the demo runs: the URLs this site really routes, found by reverse()
(not a URLconf)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse


def _path(name: str, fallback: str | None) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def describe_urls(port: int, children: list) -> str:
    base = f"http://127.0.0.1:{port}"
    lines = ["", "Where to look (log in as admin / admin):"]
    dashboard = _path("admin:django_kue_dashboard_changelist", None)
    if dashboard:
        lines.append(f"  Kue dashboard   {base}{dashboard}")
    lines.append(f"  Django admin    {base}{reverse('admin:index')}")
    stats = _path("django_kue:kue-stats", None)
    if stats:
        lines.append(f"  Kue JSON API    {base}{stats}   (try: curl -u admin:admin {base}{stats})")
    rest = _path("django_kue:api-root", None) or _path("django_kue:api-stats", None)
    if rest:
        lines.append(f"  REST API        {base}{rest}")
    logs = ", ".join(str(child.log) for child in children)
    lines.append(f"  Logs            {logs}")
    return "\n".join(lines) + "\n"
