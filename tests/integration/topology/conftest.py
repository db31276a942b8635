"""Fixtures for the Sentinel and Cluster tests: real loopback servers started here, stopped at
teardown even when a test fails.

``queue``, ``redis_queue`` and ``redis_client`` are overridden in this folder: on the cluster,
so that the core tests imported into ``test_cluster_core.py`` run unchanged against Redis
Cluster (the fixtures of a test are those of the folder it is collected in).
"""

from __future__ import annotations

import pytest
from redis.cluster import RedisCluster

from django_kue.connection import get_queue

from .servers import ClusterSetup, SentinelSetup


@pytest.fixture
def sentinel_setup(request, tmp_path):
    """A fresh master + replica + sentinel per test (a failover test leaves it changed).
    Parametrized indirectly, its parameter is added to the master's redis.conf."""
    setup = SentinelSetup(tmp_path, getattr(request, "param", ""))
    yield setup
    setup.stop()


@pytest.fixture
def sentinel_queue(settings, sentinel_setup, prefix):
    """The default queue, through the sentinel (settings as a user writes them)."""
    kue = {k: v for k, v in settings.KUE.items() if k not in ("REDIS_URL", "HOST", "PORT")}
    settings.KUE = {**kue, "PREFIX": prefix, "IDLE_WAIT": 200,
                    "SENTINEL": {"SERVICE": sentinel_setup.service,
                                 "SENTINELS": sentinel_setup.sentinels, "SOCKET_TIMEOUT": 1000}}
    return get_queue()


@pytest.fixture(scope="session")
def cluster_setup(tmp_path_factory):
    """Three loopback masters in one cluster, for the whole session."""
    setup = ClusterSetup(tmp_path_factory.mktemp("cluster"))
    yield setup
    setup.stop()


@pytest.fixture(scope="session")
def cluster_client(cluster_setup):
    client = RedisCluster.from_url(cluster_setup.url)
    yield client
    client.close()


def on_cluster(settings, cluster_setup, prefix: str):
    """Point settings.KUE at the cluster with this prefix; the default queue."""
    settings.KUE = {**settings.KUE, "PREFIX": prefix, "IDLE_WAIT": 200, "CLUSTER": True,
                    "REDIS_URL": cluster_setup.url}
    return get_queue()


@pytest.fixture
def redis_client(cluster_client):
    return cluster_client


@pytest.fixture(params=[pytest.param("cluster", marks=pytest.mark.redis)])
def queue(settings, cluster_setup, prefix):
    return on_cluster(settings, cluster_setup, prefix)


@pytest.fixture
def redis_queue(settings, cluster_setup, prefix):
    return on_cluster(settings, cluster_setup, prefix)
