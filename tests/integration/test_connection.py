"""Every way settings.KUE can point at Redis (Kue's CONNECTION tests, plus a unix socket,
a django-redis cache alias and a client factory): a job saved through get_queue() lands in
the Redis and database the settings name."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import redis

from django_kue.connection import get_queue
from tests.conftest import IN_CI, REDIS_URL, _clean

pytestmark = pytest.mark.redis


def _saved_in(client: redis.Redis, prefix: str) -> bool:
    job = get_queue().create("conn.check", {"title": "where am I"}).save()
    return client.hget(f"{{{prefix}}}:job:{job.id}", "type") == b"conn.check"


@pytest.fixture
def db15(redis_client, prefix):
    client = redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/15")
    yield client
    _clean(client, prefix)


def test_a_url_selects_its_database(settings, prefix, db15, redis_client):
    settings.KUE = {"REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/15", "PREFIX": prefix}
    assert _saved_in(db15, prefix)
    assert not redis_client.exists(f"{{{prefix}}}:ids")  # not in db 0


def test_host_port_and_db(settings, prefix, db15):
    settings.KUE = {"HOST": "127.0.0.1", "PORT": 6379, "DB": 15, "PREFIX": prefix}
    assert _saved_in(db15, prefix)


def test_a_django_redis_cache_alias_shares_its_client(settings, prefix, db15):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "jobs": {"BACKEND": "django_redis.cache.RedisCache",
                 "LOCATION": REDIS_URL.rsplit("/", 1)[0] + "/15"},
    }
    settings.KUE = {"CACHE_ALIAS": "jobs", "PREFIX": prefix}
    from django_redis import get_redis_connection

    assert get_queue().client is get_redis_connection("jobs")
    assert _saved_in(db15, prefix)


def make_client():
    return redis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/15")


def test_a_client_factory_by_dotted_path(settings, prefix, db15):
    settings.KUE = {"CLIENT_FACTORY": "tests.integration.test_connection.make_client", "PREFIX": prefix}
    assert _saved_in(db15, prefix)


def test_a_unix_socket(settings, prefix, tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        if IN_CI:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    sock = tmp_path / "redis.sock"
    proc = subprocess.Popen([server, "--port", "0", "--unixsocket", str(sock), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        settings.KUE = {"SOCKET": str(sock), "PREFIX": prefix}
        assert _saved_in(client, prefix)
        assert get_queue().config.describe().startswith("unix://")
    finally:
        proc.terminate()
        proc.wait(10)
