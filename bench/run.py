"""The benchmark: django-kue against RQ, Celery, Dramatiq, Huey and arq, in one run.

Starts its own redis-server on a free loopback port (no persistence), runs every workload
three times per system on a flushed Redis, prints medians and django-kue's ratio to the best
peer, and writes bench/results/<timestamp>.json and bench/results/latest.json.
Run it through ``bash bench/run`` (which builds bench/.venv); ``--quick`` for small sizes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import redis

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from systems import ALL  # noqa: E402
from systems.base import System  # noqa: E402

FULL = dict(w1=20_000, w1_cap=1.0, w1b=20_000, fill_cap=5.0, w2=20_000, w2_cap=3.0, w4=300, w5=1_000,
            w7=1_000_000, w7_complete=20_000)
QUICK = dict(w1=2_000, w1_cap=1.0, w1b=5_000, fill_cap=2.0, w2=5_000, w2_cap=3.0, w4=50, w5=100,
             w7=50_000, w7_complete=5_000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port),
                             "--save", "", "--appendonly", "no", "--maxclients", "2000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    r = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            r.ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def used_memory(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


WORKLOADS = ("w1", "w2", "w3", "w4", "w7")  # w2 includes W1b (its fill), w4 includes W5 and W6


class Bench:
    def __init__(self, url: str, sizes: dict, log, workloads: tuple[str, ...] = WORKLOADS) -> None:
        self.url, self.sizes, self.log = url, sizes, log
        self.workloads = workloads
        self.r = redis.Redis.from_url(url)

    def fresh(self, system: System) -> None:
        self.r.flushall()
        system.total = 0

    # W1: one at a time, for up to w1_cap seconds (20,000 jobs at most)
    def w1(self, s: System) -> float:
        self.fresh(s)
        n, cap, done = self.sizes["w1"], self.sizes["w1_cap"], 0
        t = time.perf_counter()
        while done < n and time.perf_counter() - t < cap:
            s.enqueue_one(250)
            done += 250
        return done / (time.perf_counter() - t)

    # W2/W3: drain queued jobs with `processes` workers, from their start to the last completion
    def drain(self, s: System, setting: str, processes: int, n: int) -> dict:
        """W2/W3; the bulk fill of the queue is timed too: that is W1b."""
        self.fresh(s)
        before = used_memory(self.r)
        t = time.perf_counter()
        filled = 0
        while filled < n and time.perf_counter() - t < self.sizes["fill_cap"]:
            s.enqueue_bulk(min(2000, n - filled))
            filled += min(2000, n - filled)
        bulk_rate = filled / (time.perf_counter() - t)
        s.total = n = filled
        time.sleep(0.1)
        queued = used_memory(self.r)
        t = time.monotonic()
        handle = s.start_worker(processes, setting)
        try:
            done, last = self._drain_watching(s, handle, n)
            handle.sample_rss()
            out = {"rate": done / max(1e-6, last - t), "done": done, "n": n, "bulk_rate": bulk_rate,
                   "steady_rate": (done - handle.first_done) / max(1e-6, last - handle.first_t)
                   if handle.first_t else None,
                   "seconds": round(last - t, 3), "peak_rss": handle.peak_rss,
                   "peak_mirror_rss": handle.peak_mirror_rss,
                   "queued_bytes_per_job": (queued - before) / n}
            time.sleep(0.2)  # let the last bookkeeping writes land
            # W6: Redis bytes per completed job; in a capped run the jobs still queued are
            # taken out at what a queued job cost before the worker started
            grown = used_memory(self.r) - before - (n - done) * (queued - before) / n
            out["redis_bytes_per_job"] = grown / done if done else None
            if getattr(s, "events", False) and hasattr(s, "mirror_catch_up"):
                out["mirror_catch_up_s"] = s.mirror_catch_up(last)
                out["mirror_max_lag_events"] = self._lag_max
        finally:
            s.stop(handle)
        return out

    def size_for(self, rate: float | None, processes: int, factor: float) -> int:
        """Jobs to queue for a drain: 20,000, or fewer when the system cannot drain more
        than a fraction of them before the cap anyway (keeps the run under 10 minutes)."""
        n = self.sizes["w2"]
        if rate:
            n = min(n, int(rate * self.sizes["w2_cap"] * factor * processes) + 500)
        return n

    def _drain_watching(self, s, handle, n):
        self._lag_max = 0
        start = time.monotonic()
        last, last_t = 0, start
        while True:
            count = s.done()
            now = time.monotonic()
            if count and not handle.first_t:
                handle.first_t, handle.first_done = now, count
            if count != last:
                last, last_t = count, now
            # the cap runs from the first completion (start-up is timed, but does not eat the
            # window), with an outer limit for a worker that never starts
            window_start = handle.first_t or start
            if count >= n or now - window_start > self.sizes["w2_cap"] or now - start > 30:
                return count, last_t
            lag = s.mirror_lag() if getattr(s, "events", False) else None
            if lag:
                self._lag_max = max(self._lag_max, lag)
            handle.sample_rss()
            if any(p.poll() is not None for p in handle.procs):
                raise RuntimeError(f"{s.label()}: a worker exited early (see bench/.work/)")
            time.sleep(0.01)

    # W4 + W5: probes into an idle, running worker
    def latency(self, s: System, setting: str) -> dict:
        self.fresh(s)
        handle = s.start_worker(1, setting, probe=True)
        try:
            self._warm_up(s, handle)
            self.r.delete("bench:lat")
            n4 = self.sizes["w4"]
            for _ in range(n4):
                s.enqueue_probe(time.time())
                time.sleep(0.02)
            w4 = self._collect(n4, 5.0)
            self.r.delete("bench:lat")
            n5 = self.sizes["w5"]
            for _ in range(n5):
                delay = random.randint(1000, 3000)
                s.enqueue_probe(time.time() + delay / 1000, delay)
            w5 = self._collect(n5, 6.5)  # delays end at 3 s: later than 3.5 s past due is left out
        finally:
            s.stop(handle)
        out = {}
        for key, values, n in (("w4", w4, n4), ("w5", w5, n5)):
            out[key] = {"p50_ms": pct(values, 0.5) * 1000 if values else None,
                        "p99_ms": pct(values, 0.99) * 1000 if values else None,
                        "recorded": len(values), "n": n}
        return out

    def _warm_up(self, s: System, handle) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            s.enqueue_probe(time.time())
            t = time.monotonic()
            while time.monotonic() - t < 1.0:
                if self.r.llen("bench:lat"):
                    time.sleep(0.2)  # let the worker settle into its idle wait
                    return
                if any(p.poll() is not None for p in handle.procs):
                    raise RuntimeError(f"{s.label()}: the worker exited (see bench/.work/)")
                time.sleep(0.01)
        raise RuntimeError(f"{s.label()}: the worker never ran a probe")

    def _collect(self, n: int, cap: float) -> list[float]:
        t = time.monotonic()
        while self.r.llen("bench:lat") < n and time.monotonic() - t < cap:
            time.sleep(0.02)
        return [float(v) for v in self.r.lrange("bench:lat", 0, -1)]

    # one repetition of every workload for one system; the first tries every W2 setting
    def rep(self, s: System, best: str | None, rate: float | None) -> dict:
        out: dict = {"loadavg_start": os.getloadavg()}
        out["w1"] = self.w1(s) if "w1" in self.workloads else None
        if not {"w2", "w3", "w4"} & set(self.workloads):
            return out
        out["w2"] = {}
        for i, setting in enumerate([best] if best else s.settings):
            # rep 1's first fill is the issue's 20,000; later fills are sized to what the
            # system can drain before the cap (W1b is the rate of whichever fill came first)
            n = self.sizes["w1b"] if not best and i == 0 else self.size_for(rate, 1, 1.5)
            out["w2"][setting] = w2 = self.drain(s, setting, 1, n)
            rate = max(rate or 0, w2["steady_rate"] or w2["rate"])
            self.log(f"    W2 {setting}: {w2['rate']:,.0f} jobs/s ({w2['done']}/{w2['n']})")
        best = max(out["w2"], key=lambda k: out["w2"][k]["rate"])
        out["best_setting"] = best
        out["w1b"] = next(iter(out["w2"].values()))["bulk_rate"]  # the first fill: w1b jobs
        w2 = out["w2"][best]
        if "w3" in self.workloads:
            out["w3"] = self.drain(s, best, 2, self.size_for(w2["steady_rate"] or w2["rate"], 2, 1.5))
            self.log(f"    W3 {best} x2: {out['w3']['rate']:,.0f} jobs/s ({out['w3']['done']}/{out['w3']['n']})")
        if "w4" in self.workloads and s.latency:
            out.update(self.latency(s, best))
            self.log(f"    W4 p50 {out['w4']['p50_ms']} ms; W5 p99 {out['w5']['p99_ms']} ms")
        out["loadavg_end"] = os.getloadavg()
        return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(reps: list[dict]) -> dict:
    """Medians of the three repetitions (W2: per setting, then the best setting's); None for
    workloads left out (--workloads)."""
    out: dict = {"w1": median([r.get("w1") for r in reps])}
    if "w2" not in reps[0]:
        return {**out, "w2_setting": None, "w2_by_setting": {}, "w2_complete": True}
    best = reps[0]["best_setting"]
    w2 = {k: v["rate"] for k, v in reps[0]["w2"].items()}  # every setting, first repetition
    runs = [r["w2"][best] for r in reps]
    lat = lambda w, k: median([r[w][k] for r in reps if w in r])  # noqa: E731
    out.update({
        "w1b": median([r["w1b"] for r in reps]),
        "w2": median([x["rate"] for x in runs]), "w2_setting": best, "w2_by_setting": w2,
        "w2_complete": all(x["done"] >= x["n"] for x in runs),
        "w2_jobs": [x["n"] for x in runs],
        "w2_steady": median([x.get("steady_rate") for x in runs]),
        "w3": median([r["w3"]["rate"] for r in reps if "w3" in r]),
        "w3_steady": median([r["w3"].get("steady_rate") for r in reps if "w3" in r]),
        "w4_p50": lat("w4", "p50_ms"), "w4_p99": lat("w4", "p99_ms"),
        "w5_p50": lat("w5", "p50_ms"), "w5_p99": lat("w5", "p99_ms"),
        "w6_bytes": median([x.get("redis_bytes_per_job") for x in runs]),
        "w6_rss_mb": median([x["peak_rss"] / 2**20 for x in runs]),
        "mirror_rss_mb": median([x.get("peak_mirror_rss", 0) / 2**20 for x in runs]) or None,
        "mirror_catch_up_s": median([x.get("mirror_catch_up_s") for x in runs]),
        "mirror_max_lag_events": median([x.get("mirror_max_lag_events") for x in runs]),
    })
    return out


HIGHER = ("w1", "w1b", "w2", "w2_steady", "w3")
LOWER = ("w4_p50", "w4_p99", "w5_p50", "w5_p99", "w6_bytes", "w6_rss_mb")
COLUMNS = [("w1", "W1 enq/s", "{:,.0f}"), ("w1b", "W1b bulk/s", "{:,.0f}"),
           ("w2", "W2 1 proc/s", "{:,.0f}"), ("w2_steady", "W2 steady/s", "{:,.0f}"), ("w3", "W3 2 procs/s", "{:,.0f}"),
           ("w4_p50", "W4 p50 ms", "{:.2f}"), ("w4_p99", "W4 p99 ms", "{:.2f}"),
           ("w5_p50", "W5 p50 ms", "{:.1f}"), ("w5_p99", "W5 p99 ms", "{:.1f}"),
           ("w6_bytes", "W6 B/job", "{:,.0f}"), ("w6_rss_mb", "W6 RSS MB", "{:.1f}")]


def ratios(summary: dict, kue_name: str, peers: list[str]) -> dict:
    """How many times better django-kue is than the best peer (>1: better), per column."""
    out = {}
    kue = summary[kue_name]
    for key in HIGHER + LOWER:
        values = [summary[p][key] for p in peers if summary[p].get(key) is not None]
        if kue.get(key) is None or not values:
            out[key] = None
        elif key in HIGHER:
            out[key] = kue[key] / max(values)
        else:
            if key.startswith("w5"):  # lateness: early (negative) is as wrong as late
                values, mine = [abs(v) for v in values], abs(kue[key])
            else:
                mine = kue[key]
            out[key] = min(values) / mine if mine else None
    return out


def table(summary: dict, ratio_rows: dict) -> str:
    head = "| system | " + " | ".join(c[1] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    fmt = lambda f, v: "n/a" if v is None else f.format(v)  # noqa: E731
    for name, row in summary.items():
        cells = [fmt(f, row.get(k)) for k, _, f in COLUMNS]
        cells[2] += f" ({row['w2_setting']})" if len(row.get("w2_by_setting") or ()) > 1 else ""
        if not row["w2_complete"]:
            cells[2] += " (capped)"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, rr in ratio_rows.items():
        cells = ["n/a" if rr.get(k) is None else f"{rr[k]:.2f}x" for k, _, _ in COLUMNS]
        lines.append(f"| **{name} vs best peer** | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cores": os.cpu_count(), "redis": subprocess.run(["redis-server", "--version"],
                                                            capture_output=True, text=True).stdout.strip()}
    from importlib import metadata

    info["versions"] = {}
    for dist in ("django-kue", "rq", "celery", "kombu", "dramatiq", "huey", "arq", "redis",
                 "hiredis", "django", "djangorestframework"):
        try:
            info["versions"][dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["memory"] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", help="comma-separated system names (default: all)")
    parser.add_argument("--skip-w7", action="store_true")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of w1,w2,w3,w4,w7 (w2 includes W1b and W6, "
                             "w4 includes W5), e.g. --only django-kue --workloads w2")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    (BENCH / ".work").mkdir(exist_ok=True)
    (BENCH / "results").mkdir(exist_ok=True)
    started = time.monotonic()
    log = lambda msg: print(f"[{time.monotonic() - started:6.1f}s] {msg}", flush=True)  # noqa: E731
    proc, url = start_redis()
    log(f"redis-server on {url} (pid {proc.pid}); sizes: {sizes}")
    result: dict = {"started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                    "machine": machine(), "sizes": sizes, "quick": args.quick, "reps": args.reps,
                    "loadavg_start": os.getloadavg(), "raw": {}, "summary": {}}
    only = [n.strip() for n in (args.only or "").split(",") if n.strip()]
    systems = [s for s in ALL if not only or s.name in only
               or ("kue-off" in only and s.name.startswith("django-kue ("))]
    try:
        workloads = tuple(w.strip().lower() for w in args.workloads.split(",") if w.strip())
        unknown = set(workloads) - set(WORKLOADS)
        if unknown:
            parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
        bench = Bench(url, sizes, log, workloads)
        for s in systems:
            s.setup(url)
            reps: list[dict] = []
            for i in range(args.reps):
                log(f"{s.name}: repetition {i + 1}/{args.reps}")
                best = reps[0].get("best_setting") if reps else None
                rate = (reps[0]["w2"][best]["steady_rate"] or reps[0]["w2"][best]["rate"]) if best else None
                reps.append(bench.rep(s, best, rate))
            result["raw"][s.name] = reps
            result["summary"][s.name] = summarize(reps)
        if not args.skip_w7 and "w7" in workloads and any(s.name == "django-kue" for s in systems):
            log(f"W7: {sizes['w7']:,} jobs in Redis")
            bench.r.flushall()
            kue = next(s for s in systems if s.name == "django-kue")
            reply = subprocess.run([sys.executable, str(BENCH / "w7.py"), str(sizes["w7"]),
                                    str(sizes["w7_complete"])], env=kue.env(), cwd=str(BENCH),
                                   capture_output=True, text=True, timeout=600)
            if reply.returncode:
                result["w7"] = {"error": reply.stderr[-2000:]}
            else:
                result["w7"] = json.loads(reply.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait()
    peers = [n for n in result["summary"] if not n.startswith("django-kue")]
    result["ratios"] = {n: ratios(result["summary"], n, peers)
                        for n in result["summary"] if n.startswith("django-kue") and peers}
    result["loadavg_end"] = os.getloadavg()
    result["seconds"] = round(time.monotonic() - started, 1)
    print()
    print(table(result["summary"], result["ratios"]))
    print()
    for name, row in result["summary"].items():
        if row.get("mirror_catch_up_s") is not None:
            print(f"{name}: mirror caught up {row['mirror_catch_up_s']:.2f} s after W2's last job "
                  f"(largest backlog during W2: {row['mirror_max_lag_events']:,.0f} events; "
                  f"the mirror syncer process's peak RSS {row.get('mirror_rss_mb') or 0:.1f} MB, "
                  f"not in W6 RSS)")
    if "w7" in result:
        print(f"W7: {json.dumps(result['w7'], indent=1)}")
    print(f"load average: start {result['loadavg_start']}, end {result['loadavg_end']}; "
          f"{result['seconds']} s; {result['machine'].get('cpu')}, {result['machine']['cores']} cores")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    partial = bool(only) or set(workloads) != set(WORKLOADS) or args.skip_w7
    name = f"{stamp}{'-quick' if args.quick else ''}{'-partial' if partial else ''}.json"
    paths = [BENCH / "results" / name]
    if not partial:  # latest.json (the README's table) is a whole run's
        paths.append(BENCH / "results" / "latest.json")
    for path in paths:
        path.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(f"results: bench/results/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
