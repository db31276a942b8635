"""django-kue: ``manage.py runkueworker`` of testproject, with its defaults (events and the
mirror on), and a second row with both off."""

from __future__ import annotations

import subprocess
import time

from django_kue.core.config import KueConfig
from django_kue.core.queue import Queue

from .base import BENCH, PY, ROOT, System

PREFIX = "bench"
GROUP = "kue-mirror"


class Kue(System):
    settings = ("default",)
    bulk_note = "queue.create_many (one script call per 1,000)"

    def __init__(self, events: bool = True) -> None:
        super().__init__()
        self.events = events
        self.name = "django-kue" if events else "django-kue (events+mirror off)"
        # W4/W5 wait on fixed intervals (≈ 11 s a repetition) and measure the idle worker's
        # wake-up, which events do not change: the second row keeps the bench under 10 minutes
        self.latency = events

    def setup(self, url: str) -> None:
        super().setup(url)
        self.q = Queue(self.r, KueConfig(prefix=PREFIX, events=self.events))
        if self.events:  # the mirror writes to its own SQLite file: make its tables once
            db = BENCH / ".work" / "mirror.sqlite3"
            db.unlink(missing_ok=True)
            subprocess.run([PY, str(ROOT / "testproject" / "manage.py"), "migrate", "-v", "0"],
                           env=self.env(), check=True, cwd=str(ROOT))

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(KUE_REDIS_URL=self.url, KUE_PREFIX=PREFIX, KUE_EXTRA_APPS="kue_bench",
                   KUE_SQLITE=str(BENCH / ".work" / "mirror.sqlite3"), DJANGO_DEBUG="0",
                   KUE_EVENTS="1" if self.events else "0", KUE_MIRROR="1" if self.events else "0",
                   DJANGO_SETTINGS_MODULE="testproject.settings")
        return env

    def enqueue_one(self, n: int) -> None:
        create = self.q.create
        for _ in range(n):
            create("noop", {}).save()

    def enqueue_bulk(self, n: int) -> None:
        for start in range(0, n, 10_000):
            self.q.create_many([("noop", {})] * min(10_000, n - start))

    def enqueue_probe(self, ref: float, delay_ms: int = 0) -> None:
        self.q.create("bench_probe", {"t": ref}, delay=delay_ms).save()

    def done(self) -> int:
        return self.q.complete_count("noop")

    def worker_command(self, setting: str, probe: bool) -> list[str]:
        return [PY, str(ROOT / "testproject" / "manage.py"), "runkueworker", "-v", "0",
                "--types", "bench_probe" if probe else "noop"]

    def side_process(self, child) -> bool:
        """One runkueworker process has no child but its mirror syncer (forked, then named
        kue-mirror; or ``manage.py kuemirror``)."""
        return True

    def mirror_lag(self) -> int | None:
        """Events the mirror has not applied yet: read by its consumer group but not
        acknowledged, plus not read yet (None: no mirror group yet, e.g. while it rebuilds)."""
        try:
            groups = self.r.xinfo_groups(self.q.keys.events)
            last = self.r.xinfo_stream(self.q.keys.events)["last-generated-id"]
        except Exception:
            return None
        for g in groups:
            if g["name"] in (GROUP, GROUP.encode()):
                pending = int(g.get("pending") or 0)
                if g.get("lag") is not None:
                    return int(g["lag"]) + pending
                # lag unknown (the stream was trimmed): all read iff last-delivered is the last
                return pending + (0 if g["last-delivered-id"] == last else 1)
        return None

    def mirror_catch_up(self, last_done: float, cap_s: float = 30.0) -> float | None:
        """Seconds from the last completion until the mirror has applied every event."""
        if not self.events:
            return None
        while time.monotonic() - last_done < cap_s:
            lag = self.mirror_lag()
            if lag == 0:  # (None: no group yet -- the mirror is still rebuilding)
                return max(0.0, time.monotonic() - last_done)
            time.sleep(0.02)
        return None
