"""``settings.KUE``: one dict, read lazily through ``kue_settings`` (shaped like DRF's api_settings).

DEFAULTS is the documentation: every key, its default and its unit. Unknown keys are reported
by a system check instead of being ignored (a ``"PERFIX"`` typo would otherwise fail quietly).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from . import topology
from .core.config import KueConfig, validate_url
from .core.retention import DEFAULT_KEEP, keep_problem

MiB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    # where Redis is: a URL wins over HOST/PORT/DB; SOCKET is a unix socket path;
    # CACHE_ALIAS reuses a django-redis cache's client; CLIENT_FACTORY is a dotted path to a
    # callable returning a redis.Redis (Sentinel, a custom pool ...)
    "REDIS_URL": None,
    "HOST": "127.0.0.1",
    "PORT": 6379,
    "DB": 0,
    "USERNAME": None,
    "PASSWORD": None,
    "SOCKET": None,
    "CACHE_ALIAS": None,
    "CLIENT_FACTORY": None,
    "CONNECTION_OPTIONS": {},  # extra keyword arguments for redis.Redis
    "SENTINEL": None,  # {"SERVICE": name, "SENTINELS": [(host, port)], ...}: see topology.py
    "CLUSTER": False,  # Redis Cluster; REDIS_URL (or HOST/PORT) is one of its nodes
    "PREFIX": "q",  # every key is "{PREFIX}:..." (one hash tag: Redis Cluster safe)
    "SEARCH": False,  # Kue's search over search_keys (Kue: disableSearch = true)
    "EVENTS": True,  # write job events to Redis (signals across processes, mirror, job.wait)
    "JOB_EVENTS": True,  # per-job listeners, job.on(...) (Kue's jobEvents)
    "LISTEN": False,  # hear other processes' events as signals (remote=True): a thread per process
    "MIRROR": True,  # runkueworker also keeps the admin's job mirror table in sync
    "MIRROR_PROCESS": True,  # ... from a child process (off: a thread of the worker)
    "EVENT_STREAM_MAXLEN": 100_000,  # events kept in the Redis stream (approximate)
    "MAX_PAYLOAD": MiB,  # bytes of JSON data per job
    # finished jobs kept, per state: the newest "count", finished at most "age" ms ago (None:
    # no limit; KEEP = None keeps everything, as Kue did). See core/retention.py, kueclean.
    "KEEP": DEFAULT_KEEP,
    "LEASE": 15_000,  # ms a worker holds a job between heartbeats before it is recovered
    "PROMOTE_LIMIT": 1000,  # delayed jobs promoted per round trip
    "CLAIM_BATCH": 50,  # jobs a worker claims per round trip, per type, at most
    "PROGRESS_INTERVAL": 100,  # ms between two progress writes of one job
    "SHUTDOWN_TIMEOUT": 30_000,  # ms runkueworker waits for running jobs on SIGTERM
    "IDLE_WAIT": 1000,  # ms an idle worker sleeps at most between two looks at Redis
    # the JSON API and REST API (django_kue.urls)
    "API_PERMISSION_CLASSES": None,  # dotted paths of DRF permission classes; None = staff only
    "API_AUTHENTICATION_CLASSES": (  # dotted paths of DRF authentication classes
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ),
    "API_MAX_BODY": MiB,  # bytes of request body the API reads at most (413 beyond)
    "API_MAX_BULK": 1000,  # jobs per POST /job array at most (413 beyond)
    "API_REGISTERED_TYPES_ONLY": False,  # POST /job refuses types without a @kue_job handler
    # periodic jobs: name -> {"type", "cron" or "every" (ms), "data", "options"} (periodic.py)
    "PERIODIC": {},
    "METRICS_TOKEN": None,  # GET /metrics also accepts "Authorization: Bearer <this>" (Prometheus)
}
IMPORT_STRINGS = frozenset({"CLIENT_FACTORY"})
BOOLEANS = ("SEARCH", "EVENTS", "JOB_EVENTS", "LISTEN", "MIRROR", "MIRROR_PROCESS")
MILLISECONDS = ("LEASE", "PROGRESS_INTERVAL", "SHUTDOWN_TIMEOUT", "IDLE_WAIT")
POSITIVE_INTS = ("PORT", "EVENT_STREAM_MAXLEN", "MAX_PAYLOAD", "LEASE", "PROMOTE_LIMIT",
                 "CLAIM_BATCH", "IDLE_WAIT")


class KueSettings:
    """Attribute access to settings.KUE with defaults, cached until the setting changes."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        value = getattr(settings, "KUE", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"invalid KUE setting: {name!r}")
        if name not in self._cache:
            value = self.user_settings.get(name, DEFAULTS[name])
            if name in IMPORT_STRINGS and isinstance(value, str):
                value = import_string(value)
            self._cache[name] = value
        return self._cache[name]

    def reload(self) -> None:
        self._cache.clear()


kue_settings = KueSettings()


def validate() -> list[tuple[str, str, str]]:
    """Problems in settings.KUE as (check id, message, hint); the system check reports them."""
    raw = getattr(settings, "KUE", {})
    if not isinstance(raw, dict):
        return [("E002", "KUE must be a dict", "Set KUE = {...} in settings.")]
    problems = []
    for key in sorted(set(raw) - set(DEFAULTS)):
        problems.append(("E001", f"unknown KUE setting {key!r}",
                         f"Known settings: {', '.join(DEFAULTS)}."))
    for key in POSITIVE_INTS:
        value = raw.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems.append(("E002", f"KUE[{key!r}] must be a positive integer, not {value!r}",
                             "Times are milliseconds." if key in MILLISECONDS else ""))
    problems += _not_booleans(raw)
    problems += _connection_problems(raw)
    problems += _api_problems(raw)
    problems += [("E002", p, "Example: {'complete': {'count': 1000, 'age': 86400000}}")
                 for p in [keep_problem(raw.get("KEEP"))] if p]
    problems += [("E002", text, "See README, Periodic jobs.") for text in _periodic_problems(raw)]
    token = raw.get("METRICS_TOKEN")
    if token is not None and (not isinstance(token, str) or len(token) < 16):
        problems.append(("E002", "KUE['METRICS_TOKEN'] must be None or a string of at least 16 "
                                 "characters", "Generate one: python -c 'import secrets; "
                                 "print(secrets.token_urlsafe())'"))
    problems += topology.problems(raw)
    timeout = raw.get("SHUTDOWN_TIMEOUT", 0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0):
        problems.append(("E002", f"KUE['SHUTDOWN_TIMEOUT'] must be milliseconds or None, not {timeout!r}", ""))
    prefix = raw.get("PREFIX", "q")
    if not isinstance(prefix, str) or not prefix or any(c in prefix for c in "{} \t\n"):
        problems.append(("E002", f"KUE['PREFIX'] must be a non-empty string without braces "
                                 f"or spaces, not {prefix!r}", ""))
    url = raw.get("REDIS_URL")
    if url is not None:
        problem = validate_url(url) if isinstance(url, str) else "REDIS_URL must be a string"
        if problem:
            problems.append(("E003", problem, "Example: redis://127.0.0.1:6379/0"))
    factory = raw.get("CLIENT_FACTORY")
    if isinstance(factory, str):
        try:
            import_string(factory)
        except ImportError as exc:
            problems.append(("E004", f"KUE['CLIENT_FACTORY'] cannot be imported: {exc}", ""))
    return problems


def _connection_problems(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Values POSITIVE_INTS does not cover: 0 is legal for DB and PROGRESS_INTERVAL."""
    problems = []
    for key in ("DB", "PROGRESS_INTERVAL"):
        value = raw.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(("E002", f"KUE[{key!r}] must be a non-negative integer, not {value!r}",
                             "PROGRESS_INTERVAL is milliseconds." if key == "PROGRESS_INTERVAL" else ""))
    if not isinstance(raw.get("CONNECTION_OPTIONS", {}), dict):
        problems.append(("E002", "KUE['CONNECTION_OPTIONS'] must be a dict of redis.Redis keyword "
                                 f"arguments, not {raw['CONNECTION_OPTIONS']!r}", ""))
    return problems


def _periodic_problems(raw: dict[str, Any]) -> list[str]:
    from .periodic import problems

    return problems(raw.get("PERIODIC"))


def _not_booleans(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [("E002", f"KUE[{key!r}] must be True or False, not {raw[key]!r}", "")
            for key in BOOLEANS if not isinstance(raw.get(key, DEFAULTS[key]), bool)]


def _api_problems(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The API's settings: sizes are positive ints; class lists are dotted paths that import."""
    problems = []
    for key in ("API_MAX_BODY", "API_MAX_BULK"):
        value = raw.get(key, DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            problems.append(("E002", f"KUE[{key!r}] must be a positive integer, not {value!r}",
                             "API_MAX_BODY is bytes; API_MAX_BULK is a number of jobs."))
    if not isinstance(raw.get("API_REGISTERED_TYPES_ONLY", False), bool):
        problems.append(("E002", "KUE['API_REGISTERED_TYPES_ONLY'] must be True or False", ""))
    for key in ("API_PERMISSION_CLASSES", "API_AUTHENTICATION_CLASSES"):
        value = raw.get(key, DEFAULTS[key])
        if value is None and key == "API_PERMISSION_CLASSES":
            continue
        if not isinstance(value, (list, tuple)):
            problems.append(("E002", f"KUE[{key!r}] must be a list of dotted paths, not {value!r}", ""))
            continue
        for item in value:
            if isinstance(item, str):
                try:
                    import_string(item)
                except ImportError as exc:
                    problems.append(("E004", f"KUE[{key!r}]: {item!r} cannot be imported: {exc}", ""))
            elif not isinstance(item, type):
                problems.append(("E002", f"KUE[{key!r}] holds {item!r}, not a dotted path", ""))
    return problems


def to_core_config() -> KueConfig:
    s = kue_settings
    factory = s.CLIENT_FACTORY
    if s.CACHE_ALIAS:
        from django_redis import get_redis_connection

        alias = s.CACHE_ALIAS
        factory = lambda: get_redis_connection(alias)  # noqa: E731
    return KueConfig(
        url=s.REDIS_URL, host=s.HOST, port=s.PORT, db=s.DB, username=s.USERNAME,
        password=s.PASSWORD, unix_socket_path=s.SOCKET, client_factory=factory,
        connection_options=dict(s.CONNECTION_OPTIONS), prefix=s.PREFIX, search=s.SEARCH,
        sentinel=topology.sentinel_config(s.SENTINEL), cluster=s.CLUSTER,
        events=s.EVENTS, job_events=s.JOB_EVENTS, event_stream_maxlen=s.EVENT_STREAM_MAXLEN, max_payload=s.MAX_PAYLOAD,
        lease=s.LEASE, promote_limit=s.PROMOTE_LIMIT, claim_batch=s.CLAIM_BATCH,
        progress_interval=s.PROGRESS_INTERVAL,
        keep=s.KEEP,
    )


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "KUE":
        kue_settings.reload()
        from . import connection

        connection.reset()


setting_changed.connect(_on_setting_changed)
