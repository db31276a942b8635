"""Real loopback Redis servers for the Sentinel and Cluster tests: started in a temp dir on free
ports, waited for on a condition, and always stopped (SIGKILL as the last word).

The binaries are Debian's (``redis-server``, whose ``--sentinel`` mode is the sentinel, and
``redis-cli`` from redis-tools); ``scripts/test`` installs them. Locally a missing binary skips
these tests; with ``CI`` set it fails them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
import redis

from tests.helpers import wait_until

IN_CI = bool(os.environ.get("CI"))


def binaries() -> tuple[str, str]:
    """Paths of redis-server and redis-cli, or a skip (a failure in CI)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server and cli:
        return server, cli
    message = ("redis-server and redis-cli are needed to start a loopback Sentinel and Cluster "
               "(bash scripts/test installs Debian's redis-server and redis-tools)")
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free loopback port whose cluster bus port (+10000) is free too (both below 65536)."""
    while True:
        port = random.randint(20_000, 50_000)
        if _bindable(port) and _bindable(port + 10_000):
            return port


class Server:
    """One redis-server process (a plain server, a cluster node or a sentinel)."""

    def __init__(self, folder: Path, name: str, config: str, sentinel: bool = False) -> None:
        self.port = free_port()
        self.folder = folder
        self.name = name
        conf = folder / f"{name}.conf"
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {folder}\nsave \"\"\n"
                        f"appendonly no\nlogfile {folder / name}.log\n{config}")
        server, _cli = binaries()
        self.proc = subprocess.Popen([server, str(conf), *(["--sentinel"] if sentinel else [])],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5,
                                  decode_responses=True)
        try:
            wait_until(self._answers, timeout=10, interval=0.02, message=f"{name} on port {self.port}")
        except BaseException:
            self.kill()
            raise

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited: {self.log()[-2000:]}")
        try:
            return bool(self.client.ping())
        except redis.ConnectionError:
            return False

    def log(self) -> str:
        path = self.folder / f"{self.name}.log"
        return path.read_text() if path.exists() else ""

    def kill(self) -> None:
        """Gone at once, like a crashed machine (no SHUTDOWN, no goodbye to the replicas)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.client.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class SentinelSetup:
    """A master, a replica of it and one sentinel watching them (quorum 1: loopback)."""

    service = "kuemaster"

    def __init__(self, folder: Path, master_config: str = "") -> None:
        self.servers: list[Server] = []
        try:
            fast = "repl-diskless-sync-delay 0\n"  # Redis waits 5 s for more replicas by default
            self.master = self._add(folder, "master", fast + master_config)
            self.replica = self._add(folder, "replica", f"{fast}replicaof 127.0.0.1 {self.master.port}\n")
            wait_until(lambda: self.replica.client.info("replication").get("master_link_status") == "up",
                       timeout=10, message="the replica to sync")
            self.sentinel = self._add(folder, "sentinel", (
                f"sentinel monitor {self.service} 127.0.0.1 {self.master.port} 1\n"
                f"sentinel down-after-milliseconds {self.service} 1000\n"
                f"sentinel failover-timeout {self.service} 5000\n"
                f"sentinel parallel-syncs {self.service} 1\n"), sentinel=True)
            wait_until(self._replica_ready, timeout=20, interval=0.05,
                       message="the sentinel to see a replica it could promote")
        except BaseException:
            self.stop()
            raise

    def _replica_ready(self) -> bool:
        """The sentinel knows the replica, has its INFO and sees its link up: it can promote it
        (before that, SENTINEL FAILOVER answers NOGOODSLAVE)."""
        return any(r.get("is_slave") and not r.get("is_disconnected") and not r.get("is_sdown")
                   and r.get("master-link-status") == "ok" and int(r.get("info-refresh", 10**6)) < 5000
                   for r in self.sentinel.client.sentinel_slaves(self.service))

    def _add(self, folder: Path, name: str, config: str, sentinel: bool = False) -> Server:
        server = Server(folder, name, config, sentinel)
        self.servers.append(server)
        return server

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", self.sentinel.port)]

    def master_port(self) -> int:
        host, port = self.sentinel.client.sentinel_get_master_addr_by_name(self.service)
        return int(port)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


class ClusterSetup:
    """``masters`` masters (and ``replicas`` replicas of each), every slot covered:
    ``redis-cli --cluster create``."""

    def __init__(self, folder: Path, masters: int = 3, replicas: int = 0,
                 node_timeout: int = 5000) -> None:
        self.nodes: list[Server] = []
        try:
            for i in range(masters * (1 + replicas)):
                self.nodes.append(Server(folder, f"node{i}", (
                    "cluster-enabled yes\n"
                    f"cluster-config-file {folder}/nodes{i}.conf\n"
                    f"cluster-node-timeout {node_timeout}\n"
                    "repl-diskless-sync-delay 0\n")))
            _server, cli = binaries()
            subprocess.run([cli, "--cluster", "create",
                            *[f"127.0.0.1:{n.port}" for n in self.nodes],
                            "--cluster-replicas", str(replicas), "--cluster-yes"],
                           check=True, capture_output=True, timeout=60)
            wait_until(self._ok, timeout=30, interval=0.05, message="cluster_state:ok on every node")
        except BaseException:
            self.stop()
            raise

    def alive(self) -> list[Server]:
        return [n for n in self.nodes if n.proc.poll() is None]

    def by_port(self, port: int) -> Server:
        return next(n for n in self.nodes if n.port == port)

    def _ok(self) -> bool:
        return all(n.client.cluster("info")["cluster_state"] == "ok"
                   and int(n.client.cluster("info")["cluster_known_nodes"]) == len(self.nodes)
                   for n in self.nodes)

    def owner(self, key: str) -> int:
        """The port of the master serving ``key``'s slot, as a live node sees it now."""
        node = self.alive()[0].client
        slot = node.cluster("keyslot", key)
        for start, end, master, *_replicas in node.execute_command("CLUSTER SLOTS"):
            if start <= slot <= end:
                return int(master[1])
        raise AssertionError(f"slot {slot} is not covered")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def prefixes_on_every_node(client) -> dict[str, str]:
    """{node name: prefix}: one fresh prefix whose hash tag lands on each master."""
    found: dict[str, str] = {}
    masters = {n.name for n in client.get_primaries()}
    while set(found) != masters:
        prefix = f"t-{uuid.uuid4().hex[:8]}"
        found.setdefault(client.get_node_from_key("{%s}" % prefix).name, prefix)
    return found
