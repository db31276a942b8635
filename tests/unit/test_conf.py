"""kue_settings: defaults, lazy cached reads, reload on setting_changed, validate()."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
import redis

from django_kue import conf
from django_kue.conf import DEFAULTS, kue_settings, to_core_config, validate
from django_kue.connection import get_queue


def make_client():
    """A CLIENT_FACTORY reached by dotted path (IMPORT_STRINGS)."""
    return redis.Redis(host="127.0.0.1", port=6390)


def codes(problems):
    return [code for code, _, _ in problems]


def test_defaults_apply_to_missing_keys(settings):
    settings.KUE = {}
    for name, default in DEFAULTS.items():
        assert getattr(kue_settings, name) == default, name


def test_user_values_win(settings):
    settings.KUE = {"PREFIX": "shop", "LEASE": 5000, "SEARCH": True}
    assert (kue_settings.PREFIX, kue_settings.LEASE, kue_settings.SEARCH) == ("shop", 5000, True)
    assert kue_settings.IDLE_WAIT == DEFAULTS["IDLE_WAIT"]


def test_an_unknown_attribute_is_an_error():
    with pytest.raises(AttributeError, match="PERFIX"):
        _ = kue_settings.PERFIX


def test_reads_are_cached_until_the_setting_changes(settings):
    settings.KUE = {"PREFIX": "one"}
    assert kue_settings.PREFIX == "one"
    settings.KUE["PREFIX"] = "mutated-in-place"  # no setting_changed: the cache holds
    assert kue_settings.PREFIX == "one"
    settings.KUE = {"PREFIX": "two"}  # pytest-django's fixture sends setting_changed
    assert kue_settings.PREFIX == "two"


def test_other_settings_do_not_drop_the_cache(settings):
    settings.KUE = {"PREFIX": "kept"}
    assert kue_settings.PREFIX == "kept"
    settings.KUE["PREFIX"] = "ignored"
    settings.DEBUG = not settings.DEBUG
    assert kue_settings.PREFIX == "kept"


def test_a_settings_change_drops_the_cached_queue(settings):
    settings.KUE = {"PREFIX": "first", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    first = get_queue()
    assert get_queue() is first
    settings.KUE = {"PREFIX": "second", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    second = get_queue()
    assert second is not first
    assert second.config.prefix == "second"


def test_import_strings_are_imported_on_access(settings):
    settings.KUE = {"CLIENT_FACTORY": f"{__name__}.make_client"}
    assert kue_settings.CLIENT_FACTORY is make_client
    config = to_core_config()
    assert config.client_factory is make_client
    assert config.connect().connection_pool.connection_kwargs["port"] == 6390


def test_to_core_config_carries_every_queue_setting(settings):
    settings.KUE = {"REDIS_URL": "redis://h:1/2", "PREFIX": "p", "SEARCH": True, "EVENTS": False,
                    "JOB_EVENTS": False, "EVENT_STREAM_MAXLEN": 10, "MAX_PAYLOAD": 99,
                    "LEASE": 7, "PROMOTE_LIMIT": 3, "CLAIM_BATCH": 4, "PROGRESS_INTERVAL": 0,
                    "CONNECTION_OPTIONS": {"socket_timeout": 2}}
    config = to_core_config()
    assert (config.url, config.prefix, config.search, config.events, config.job_events) == (
        "redis://h:1/2", "p", True, False, False)
    assert (config.event_stream_maxlen, config.max_payload, config.lease, config.promote_limit,
            config.claim_batch, config.progress_interval) == (10, 99, 7, 3, 4, 0)
    assert config.connection_options == {"socket_timeout": 2}
    assert config.describe() == "redis://h:1/2"


def test_nothing_is_read_at_import_time():
    """conf.py's module body defines things; it never touches settings or Redis."""
    tree = ast.parse(inspect.getsource(conf))
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            assert ast.unparse(node.value).startswith("setting_changed.connect"), ast.unparse(node)
        if isinstance(node, ast.Assign):
            assert "settings." not in ast.unparse(node.value), ast.unparse(node)


# validate()

def test_the_test_settings_are_valid():
    assert validate() == []


def test_unknown_keys_are_reported(settings):
    settings.KUE = {"PERFIX": "q", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    problems = validate()
    assert codes(problems) == ["E001"]
    assert "PERFIX" in problems[0][1]
    assert "PREFIX" in problems[0][2]  # the hint lists the known keys


def test_kue_must_be_a_dict(settings):
    settings.KUE = ["REDIS_URL", "redis://"]
    assert codes(validate()) == ["E002"]
    assert kue_settings.PREFIX == DEFAULTS["PREFIX"]  # reads fall back; the check reports it


@pytest.mark.parametrize("key, value", [
    ("PORT", 0), ("PORT", "6379"), ("LEASE", -1), ("LEASE", 1.5), ("LEASE", True),
    ("IDLE_WAIT", 0), ("CLAIM_BATCH", None), ("PROMOTE_LIMIT", "many"),
    ("EVENT_STREAM_MAXLEN", 0), ("MAX_PAYLOAD", -3),
    ("SHUTDOWN_TIMEOUT", -1), ("SHUTDOWN_TIMEOUT", "30s"),
    ("PROGRESS_INTERVAL", -1), ("PROGRESS_INTERVAL", "fast"), ("DB", -1), ("DB", "0"),
    ("SEARCH", "yes"), ("EVENTS", 1), ("MIRROR", None), ("LISTEN", "false"),
    ("PREFIX", ""), ("PREFIX", "a{b}"), ("PREFIX", "with space"), ("PREFIX", 7),
    ("CONNECTION_OPTIONS", ["socket_timeout", 1]),
    ("API_MAX_BODY", 0), ("API_MAX_BULK", "10"), ("API_REGISTERED_TYPES_ONLY", "no"),
    ("API_PERMISSION_CLASSES", "rest_framework.permissions.AllowAny"),
])
def test_bad_values_are_reported_as_e002(settings, key, value):
    settings.KUE = {key: value}
    problems = validate()
    assert codes(problems) == ["E002"], problems
    assert key in problems[0][1]


@pytest.mark.parametrize("key, value", [
    ("SHUTDOWN_TIMEOUT", None), ("SHUTDOWN_TIMEOUT", 0), ("PROGRESS_INTERVAL", 0), ("DB", 3),
    ("API_PERMISSION_CLASSES", ["rest_framework.permissions.AllowAny"]),
    ("CONNECTION_OPTIONS", {"socket_timeout": 1}), ("PREFIX", "my-app.jobs"),
])
def test_good_edge_values_pass(settings, key, value):
    settings.KUE = {key: value}
    assert validate() == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://h:port/0",
                                 "redis://h:99999/0", 6379])
def test_a_bad_url_is_reported_as_e003(settings, url):
    settings.KUE = {"REDIS_URL": url}
    problems = validate()
    assert codes(problems) == ["E003"], problems
    assert "redis://127.0.0.1:6379/0" in problems[0][2]


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://u:p@h:6380/1",
                                 "unix:///tmp/redis.sock?db=0"])
def test_good_urls_pass(settings, url):
    settings.KUE = {"REDIS_URL": url}
    assert validate() == []


def test_an_unimportable_factory_is_reported_as_e004(settings):
    settings.KUE = {"CLIENT_FACTORY": "no.such.module.factory"}
    problems = validate()
    assert codes(problems) == ["E004"]
    assert "CLIENT_FACTORY" in problems[0][1]


def test_an_unimportable_api_class_is_reported_as_e004(settings):
    settings.KUE = {"API_AUTHENTICATION_CLASSES": ["rest_framework.authentication.Nope"]}
    assert codes(validate()) == ["E004"]


def test_several_problems_are_all_reported(settings):
    settings.KUE = {"PERFIX": "q", "LEASE": 0, "REDIS_URL": "http://x"}
    assert sorted(codes(validate())) == ["E001", "E002", "E003"]


# the README's settings table

def settings_tables() -> list[tuple[str, str]]:
    """(file, text) of every doc holding the settings table (the README)."""
    root = Path(__file__).resolve().parents[2]
    docs = [root / "README.md"]
    return [(p.name, p.read_text()) for p in docs if p.exists() and "| `REDIS_URL` |" in p.read_text()]


def test_the_settings_table_matches_defaults():
    tables = settings_tables()
    assert tables, "no settings table in README.md"
    for name, text in tables:
        rows = {}
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 4 and re.fullmatch(r"`[A-Z_]+`", cells[0]) and cells[1].startswith("`"):
                rows[cells[0].strip("`")] = ast.literal_eval(cells[1].strip("`"))
        assert set(rows) == set(DEFAULTS), f"{name}: keys differ: {set(rows) ^ set(DEFAULTS)}"
        for key, default in DEFAULTS.items():
            assert rows[key] == default, f"{name}: KUE[{key!r}] is {default!r}, the table says {rows[key]!r}"
