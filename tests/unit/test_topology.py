"""KUE["SENTINEL"] and KUE["CLUSTER"]: the offline checks (E002 bad value, E005 settings that
clash) and what they become in the core config. The servers themselves are tested in
tests/integration/topology/."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from django_kue.conf import to_core_config
from django_kue.core.config import SentinelConfig
from django_kue.topology import parse_sentinels

SENTINEL = {"SERVICE": "mymaster", "SENTINELS": [("10.0.0.1", 26379), "10.0.0.2:26380"]}


def kue_messages():
    return [(m.id, m.msg) for m in run_checks() if m.id and m.id.startswith("django_kue.")]


@pytest.mark.parametrize("kue", [
    {"SENTINEL": SENTINEL},
    {"SENTINEL": {**SENTINEL, "PASSWORD": "s3cret", "USERNAME": "sentinel", "SOCKET_TIMEOUT": None},
     "PASSWORD": "master-password", "DB": 3},
    {"CLUSTER": True, "REDIS_URL": "redis://10.0.0.1:7000/0"},
    {"CLUSTER": True, "HOST": "10.0.0.1", "PORT": 7000},
    {"CLUSTER": False, "SENTINEL": None},
], ids=["sentinel", "sentinel-auth", "cluster-url", "cluster-host", "neither"])
def test_good_settings_pass(settings, kue):
    settings.KUE = kue
    assert kue_messages() == []


@pytest.mark.parametrize("kue, check_id, words", [
    ({"SENTINEL": "mymaster"}, "E002", "KUE['SENTINEL'] must be a dict or None"),
    ({"SENTINEL": {"SENTINELS": [("h", 26379)]}}, "E002", "['SERVICE'] must be the master's name"),
    ({"SENTINEL": {"SERVICE": "m"}}, "E002", "['SENTINELS']: a non-empty list"),
    ({"SENTINEL": {"SERVICE": "m", "SENTINELS": []}}, "E002", "['SENTINELS']: a non-empty list"),
    ({"SENTINEL": {"SERVICE": "m", "SENTINELS": "h:26379"}}, "E002", "['SENTINELS']: a non-empty"),
    ({"SENTINEL": {"SERVICE": "m", "SENTINELS": [("h", 0)]}}, "E002", "is not a (host, port) pair"),
    ({"SENTINEL": {"SERVICE": "m", "SENTINELS": ["h"]}}, "E002", "is not a (host, port) pair"),
    ({"SENTINEL": {**SENTINEL, "MASTER": "x"}}, "E002", "unknown KUE['SENTINEL'] key 'MASTER'"),
    ({"SENTINEL": {**SENTINEL, "SOCKET_TIMEOUT": 0.5}}, "E002", "positive milliseconds"),
    ({"SENTINEL": {**SENTINEL, "PASSWORD": 1}}, "E002", "['PASSWORD'] must be a string"),
    ({"CLUSTER": "yes"}, "E002", "KUE['CLUSTER'] must be True or False"),
    ({"SENTINEL": SENTINEL, "CLUSTER": True}, "E005", "both SENTINEL and CLUSTER"),
    ({"SENTINEL": SENTINEL, "REDIS_URL": "redis://h:6379/0"}, "E005",
     "KUE['REDIS_URL'] cannot be used with KUE['SENTINEL']"),
    ({"SENTINEL": SENTINEL, "HOST": "h"}, "E005", "KUE['HOST'] cannot be used with KUE['SENTINEL']"),
    ({"SENTINEL": SENTINEL, "CLIENT_FACTORY": "redis.Redis"}, "E005",
     "KUE['CLIENT_FACTORY'] cannot be used with KUE['SENTINEL']"),
    ({"CLUSTER": True, "SOCKET": "/tmp/redis.sock"}, "E005",
     "KUE['SOCKET'] cannot be used with KUE['CLUSTER']"),
    ({"CLUSTER": True, "DB": 2}, "E005", "Redis Cluster has only database 0"),
    ({"CLUSTER": True, "REDIS_URL": "redis://h:7000/1"}, "E005", "Redis Cluster has only database 0"),
    ({"CLUSTER": True, "REDIS_URL": "unix:///tmp/r.sock"}, "E005", "needs a redis:// or rediss://"),
])
def test_each_problem_is_reported(settings, kue, check_id, words):
    settings.KUE = kue
    messages = kue_messages()
    assert [i for i, _ in messages] == [f"django_kue.{check_id}"], messages
    assert words in messages[0][1]


def test_both_set_reports_the_clash_and_what_is_ignored(settings):
    settings.KUE = {"SENTINEL": SENTINEL, "CLUSTER": True, "REDIS_URL": "redis://h:6379/0"}
    assert [i for i, _ in kue_messages()] == ["django_kue.E005"] * 2


def test_sentinels_accept_pairs_and_host_port_strings():
    assert parse_sentinels([("a", 1), ["b", 2], "c:3", "::1:26379"]) == (
        ("a", 1), ("b", 2), ("c", 3), ("::1", 26379))


def test_the_core_config_gets_the_sentinel_and_the_master_credentials(settings):
    settings.KUE = {"SENTINEL": {**SENTINEL, "PASSWORD": "s", "SOCKET_TIMEOUT": 250},
                    "PASSWORD": "m", "DB": 2}
    config = to_core_config()
    assert config.sentinel == SentinelConfig(
        service="mymaster", sentinels=(("10.0.0.1", 26379), ("10.0.0.2", 26380)), password="s",
        socket_timeout=0.25)
    assert (config.password, config.db, config.cluster) == ("m", 2, False)
    assert config.describe() == "sentinel 'mymaster' via 10.0.0.1:26379,10.0.0.2:26380 db 2"


def test_the_core_config_gets_the_cluster(settings):
    settings.KUE = {"CLUSTER": True, "REDIS_URL": "redis://:pw@10.0.0.1:7000/0"}
    config = to_core_config()
    assert config.cluster and config.sentinel is None
    assert config.describe() == "cluster via 10.0.0.1:7000"  # no password in log lines
