"""Quick A/B drains of django-kue alone (W2's shape), for tuning: no peers, no table.

    bench/.venv/bin/python bench/ab.py [--jobs 20000] [--reps 2] [--configs on,nomirror,off]
                                       [--spy on] [--extra=--concurrency=4]

Each drain starts on a flushed Redis (its own redis-server): queue N no-op jobs with
``create_many``, start one ``runkueworker --types noop`` and time it to the last completion;
"steady" runs from the first completion (Django's start-up excluded). ``--spy CONFIG`` attaches
py-spy for 3 s of that configuration's drain (bench/.work/ab-<config>.txt) and prints the
hottest frames. ``on`` also reports the mirror's catch-up after the last completion.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

import profile as kprofile  # noqa: E402  (bench/profile.py)

from run import start_redis  # noqa: E402
from systems.base import BIN, PY, ROOT  # noqa: E402
from systems.kue import Kue  # noqa: E402

REDIS_PID = 0


def cpu_times(pid: int) -> dict[str, float]:
    """CPU seconds (user+sys) of the worker, each child and redis-server so far."""
    import psutil

    out: dict[str, float] = {}
    try:
        root = psutil.Process(pid)
        for p in [root, *root.children(recursive=True)]:
            t = p.cpu_times()
            name = "worker" if p.pid == pid else " ".join(p.cmdline()[2:3]) or p.name()
            out[name] = out.get(name, 0) + t.user + t.system
        t = psutil.Process(REDIS_PID).cpu_times()
        out["redis"] = t.user + t.system
    except psutil.Error:
        pass
    return out


def per_job(after: dict[str, float], before: dict[str, float], jobs: int) -> str:
    """CPU µs per job: work per job, which the machine's load changes much less than wall time."""
    return ", ".join(f"{k} {(v - before.get(k, 0)) * 1e6 / max(1, jobs):.0f}" for k, v in after.items())




def drain(kue: Kue, cmd: list[str], label: str, n: int, spy: Path | None = None, cap: float = 60.0) -> None:
    kue.r.flushall()
    for start in range(0, n, 10_000):
        kue.q.create_many([("noop", {})] * min(10_000, n - start))
    cpu0 = cpu_times(os.getpid())  # redis-server's CPU so far is not this drain's
    cpu0.pop("worker", None)
    kue.r.config_resetstat()
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=kue.env(), cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=open(BENCH / ".work" / "ab.log", "ab"), start_new_session=True)
    first = recorder = None
    max_lag = 0
    while True:
        done = kue.done()
        if done and first is None:
            first = time.monotonic()
            cpu1, done1 = cpu_times(proc.pid), done
            if spy is not None:
                recorder = subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--pid", str(proc.pid), "--threads", "--subprocesses", "--gil",
                     "--rate", "100", "--duration", "3", "--format", "raw", "-o", str(spy)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done >= n or time.monotonic() - t > cap:
            break
        if kue.events:
            max_lag = max(max_lag, kue.mirror_lag() or 0)
        time.sleep(0.005)
    end = time.monotonic()
    extra = ""
    if kue.events and os.environ.get("KUE_MIRROR_CHECK", "1") == "1" and label == "on":
        caught = kue.mirror_catch_up(end, cap_s=20)
        extra = f"; mirror caught up {caught if caught is None else round(caught, 2)} s after, max lag {max_lag} events"
    cpu2 = cpu_times(proc.pid)
    stats = sorted(kue.r.info("commandstats").items(), key=lambda kv: -kv[1]["usec"])
    redis_usec = ", ".join(f"{k[8:]} {v['usec'] / max(1, done):.1f}" for k, v in stats[:8])
    cpu = f"all {per_job(cpu2, cpu0, done)}; steady {per_job(cpu2, cpu1, done - done1)}"
    if recorder is not None:
        recorder.wait(30)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    print(f"{label}: {done}/{n} in {end - t:.2f} s = {done / (end - t):,.0f} jobs/s from start, "
          f"{done / (end - first) if first else 0:,.0f} steady{extra}\n    CPU µs/job: {cpu}"
          f"\n    Redis µs/job by command (inner script calls included): {redis_usec}", flush=True)


class EventsNoMirror(Kue):
    def env(self) -> dict[str, str]:
        return {**super().env(), "KUE_MIRROR": "0"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--configs", default="on,nomirror,off")
    parser.add_argument("--spy", default="")
    parser.add_argument("--extra", default="", help="extra runkueworker arguments, comma-separated")
    args = parser.parse_args()
    proc, url = start_redis()
    global REDIS_PID
    REDIS_PID = proc.pid
    try:
        worker = [PY, str(ROOT / "testproject" / "manage.py"), "runkueworker", "-v", "0",
                  "--types", "noop", *[a for a in args.extra.split(",") if a]]
        systems = {"on": Kue(events=True), "nomirror": EventsNoMirror(events=True), "off": Kue(events=False)}
        for s in systems.values():
            s.setup(url)
        for rep in range(args.reps):
            for name in args.configs.split(","):
                s = systems[name]
                spy = BENCH / ".work" / f"ab-{name}.txt" if name == args.spy and rep == 0 else None
                drain(s, worker, name, args.jobs, spy=spy)
        if args.spy:
            kprofile.hottest(BENCH / ".work" / f"ab-{args.spy}.txt")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
