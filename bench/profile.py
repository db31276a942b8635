"""Where django-kue's worker spends its time on W2 (bench/PROFILE.md).

Starts its own redis-server, queues N no-op jobs and drains them with one
``runkueworker --types noop``: with the defaults, with the mirror off, with events and the
mirror off, and with fewer slot threads; then twice more with ``py-spy record`` attached for
3 s of the drain (raw collapsed stacks of the threads on CPU, in bench/.work/). Prints the
drain rates and the hottest frames. Run: bench/.venv/bin/python bench/profile.py
"""

from __future__ import annotations

import collections
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from run import start_redis  # noqa: E402
from systems.base import BIN, PY, ROOT  # noqa: E402
from systems.kue import Kue  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20_000
OUT = BENCH / ".work"


def drain(kue: Kue, cmd: list[str], label: str, cap: float = 60.0, spy: Path | None = None) -> float:
    kue.r.flushall()
    for start in range(0, N, 10_000):
        kue.q.create_many([("noop", {})] * min(10_000, N - start))
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=kue.env(), cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=open(OUT / "profile.log", "ab"))
    first = None
    recorder = None
    while True:
        done = kue.done()
        if done and first is None:
            first = time.monotonic()
            if spy is not None:  # sample the drain itself, not Django's start-up
                recorder = subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--pid", str(proc.pid), "--threads",
                     "--rate", "100", "--duration", "3", "--format", "raw", "-o", str(spy)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if done >= N or time.monotonic() - t > cap:
            break
        time.sleep(0.005)
    end = time.monotonic()
    if recorder is not None:
        recorder.wait(30)
    proc.kill()  # measured; a graceful stop (mirror catch-up) would only cost time
    proc.wait(30)
    rate = done / (end - t)
    steady = done / (end - first) if first else 0
    print(f"{label}: {done}/{N} in {end - t:.2f} s = {rate:,.0f} jobs/s from start "
          f"({steady:,.0f} jobs/s from the first completion)", flush=True)
    return rate


def hottest(raw: Path, top: int = 25) -> None:
    """Aggregate py-spy's collapsed stacks: per thread, self samples and inclusive samples."""
    self_count: collections.Counter = collections.Counter()
    incl: collections.Counter = collections.Counter()
    threads: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        thread = frames[0]
        total += n
        threads[thread] += n
        self_count[(thread.split(" ")[0][:30], frames[-1])] += n
        for f in set(frames[1:]):
            incl[f] += n
    print(f"\n{total} samples; per thread:")
    for thread, n in threads.most_common(8):
        print(f"  {n / total:6.1%}  {thread}")
    print("\nself (leaf frame), top:")
    for (thread, frame), n in self_count.most_common(top):
        print(f"  {n / total:6.1%}  {thread:30} {frame}")
    print("\ninclusive, top:")
    for frame, n in incl.most_common(top + 15):
        print(f"  {n / total:6.1%}  {frame}")


class EventsNoMirror(Kue):
    """Events on, the mirror off: splits the defaults' cost between the two."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "KUE_MIRROR": "0"}


def main() -> None:
    proc, url = start_redis()
    OUT.mkdir(exist_ok=True)
    try:
        worker = [PY, str(ROOT / "testproject" / "manage.py"), "runkueworker", "-v", "0", "--types", "noop"]
        on, nomirror, off = Kue(events=True), EventsNoMirror(events=True), Kue(events=False)
        for kue in (on, nomirror, off):
            kue.setup(url)
        print("drain rates (each drain starts on a flushed Redis, so the mirror rebuilds first):")
        drain(on, worker, "defaults: events + mirror on")
        drain(nomirror, worker, "events on, mirror off")
        drain(off, worker, "events + mirror off")
        drain(off, [*worker, "--concurrency", "4"], "events + mirror off, --concurrency 4")
        drain(off, [*worker, "--concurrency", "1"], "events + mirror off, --concurrency 1")
        raw_on, raw_off = OUT / "profile-w2.txt", OUT / "profile-w2-off.txt"
        drain(on, worker, "defaults, py-spy attached for 3 s", spy=raw_on)
        drain(off, worker, "events + mirror off, py-spy attached for 3 s", spy=raw_off)
        print("\n== on-CPU samples, defaults (events + mirror on) ==")
        hottest(raw_on)
        print("\n== on-CPU samples, events + mirror off ==")
        hottest(raw_off)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
