"""``KUE["SENTINEL"]`` and ``KUE["CLUSTER"]``: checking them, and turning them into core config.

Kept out of ``conf.py`` so the settings module stays a table. The checks are offline (no
sentinel or cluster node is asked anything); a setting that another one would silently
override is an error (``django_kue.E005``) rather than a surprise in production.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .core.config import SentinelConfig

SENTINEL_KEYS = {
    "SERVICE": "the master's service name, as in sentinel.conf (required)",
    "SENTINELS": "[(host, port), ...] or ['host:port', ...] (required)",
    "USERNAME": "the sentinels' own ACL user (the master's is KUE['USERNAME'])",
    "PASSWORD": "the sentinels' own password (the master's is KUE['PASSWORD'])",
    "SOCKET_TIMEOUT": "ms to wait for one sentinel's answer (default 500)",
}
SENTINEL_SOCKET_TIMEOUT = 500  # ms
Problem = tuple[str, str, str]
EXAMPLE = ('"SENTINEL": {"SERVICE": "mymaster", "SENTINELS": [("10.0.0.1", 26379), '
           '("10.0.0.2", 26379)]}')


def problems(raw: dict[str, Any]) -> list[Problem]:
    """What is wrong with SENTINEL / CLUSTER in ``settings.KUE`` (raw, not defaulted)."""
    found: list[Problem] = []
    sentinel, cluster = raw.get("SENTINEL"), raw.get("CLUSTER", False)
    if not isinstance(cluster, bool):
        found.append(("E002", f"KUE['CLUSTER'] must be True or False, not {cluster!r}",
                      'With "CLUSTER": True, REDIS_URL (or HOST/PORT) names one node of the cluster.'))
    if sentinel is not None:
        found += _sentinel_problems(sentinel)
    found += _conflicts(raw, sentinel is not None, cluster is True)
    return found


def _sentinel_problems(value: Any) -> list[Problem]:
    if not isinstance(value, dict):
        return [("E002", f"KUE['SENTINEL'] must be a dict or None, not {value!r}", EXAMPLE)]
    found: list[Problem] = []
    for key in sorted(set(value) - set(SENTINEL_KEYS)):
        found.append(("E002", f"unknown KUE['SENTINEL'] key {key!r}",
                      "Known keys: " + "; ".join(f"{k}: {v}" for k, v in SENTINEL_KEYS.items())))
    service = value.get("SERVICE")
    if not isinstance(service, str) or not service:
        found.append(("E002", f"KUE['SENTINEL']['SERVICE'] must be the master's name, not {service!r}",
                      EXAMPLE))
    try:
        parse_sentinels(value.get("SENTINELS"))
    except ValueError as exc:
        found.append(("E002", f"KUE['SENTINEL']['SENTINELS']: {exc}", EXAMPLE))
    for key in ("USERNAME", "PASSWORD"):
        if value.get(key) is not None and not isinstance(value[key], str):
            found.append(("E002", f"KUE['SENTINEL'][{key!r}] must be a string or None", ""))
    timeout = value.get("SOCKET_TIMEOUT", SENTINEL_SOCKET_TIMEOUT)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0):
        found.append(("E002", f"KUE['SENTINEL']['SOCKET_TIMEOUT'] must be positive milliseconds "
                              f"or None, not {timeout!r}", ""))
    return found


def _conflicts(raw: dict[str, Any], sentinel: bool, cluster: bool) -> list[Problem]:
    """Settings that would be ignored, or cannot work, next to SENTINEL or CLUSTER."""
    if not (sentinel or cluster):
        return []
    found: list[Problem] = []
    mode = "SENTINEL" if sentinel else "CLUSTER"
    if sentinel and cluster:
        found.append(("E005", "KUE sets both SENTINEL and CLUSTER",
                      "Redis Cluster fails over by itself: keep one of the two."))
    ignored = [k for k in ("CLIENT_FACTORY", "CACHE_ALIAS", "SOCKET") if raw.get(k)]
    if sentinel:
        ignored += [k for k in ("REDIS_URL", "HOST", "PORT") if k in raw and raw[k] is not None]
    for key in ignored:
        found.append(("E005", f"KUE[{key!r}] cannot be used with KUE[{mode!r}]",
                      "The sentinels name the master." if sentinel else
                      "A cluster is reached through REDIS_URL or HOST/PORT (one of its nodes)."))
    if cluster:
        url = raw.get("REDIS_URL")
        db = raw.get("DB", 0)
        if isinstance(url, str) and urlparse(url).scheme == "unix":
            found.append(("E005", "KUE['CLUSTER'] needs a redis:// or rediss:// REDIS_URL", ""))
        elif isinstance(url, str) and urlparse(url).path.strip("/") not in ("", "0"):
            db = urlparse(url).path.strip("/")
        if db not in (0, "0"):
            found.append(("E005", f"Redis Cluster has only database 0, not {db!r}",
                          "Use a different PREFIX per queue instead of a database number."))
    return found


def parse_sentinels(value: Any) -> tuple[tuple[str, int], ...]:
    """``[("host", 26379), "host:26380"]`` -> ``(("host", 26379), ("host", 26380))``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"a non-empty list of (host, port) pairs or 'host:port' strings, not {value!r}")
    out = []
    for item in value:
        if isinstance(item, str):
            host, _, port_text = item.rpartition(":")
            port: Any = int(port_text) if port_text.isdigit() else None
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            host, port = item
        else:
            raise ValueError(f"{item!r} is not a (host, port) pair or a 'host:port' string")
        if not isinstance(host, str) or not host or isinstance(port, bool) or not isinstance(port, int) \
                or not 0 < port < 65536:
            raise ValueError(f"{item!r} is not a (host, port) pair or a 'host:port' string")
        out.append((host, port))
    return tuple(out)


def sentinel_config(value: dict[str, Any] | None) -> SentinelConfig | None:
    """The core's SentinelConfig from a (valid) ``KUE["SENTINEL"]``."""
    if not value:
        return None
    timeout = value.get("SOCKET_TIMEOUT", SENTINEL_SOCKET_TIMEOUT)
    return SentinelConfig(service=value["SERVICE"], sentinels=parse_sentinels(value["SENTINELS"]),
                          username=value.get("USERNAME"), password=value.get("PASSWORD"),
                          socket_timeout=None if timeout is None else timeout / 1000)
