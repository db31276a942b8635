"""W7: django-kue's read routes with many jobs in Redis (run by run.py in its own process,
with the django-kue environment). Prints one JSON object.

Creates N jobs with ``Queue.create_many``, completes ``complete`` of them with a real worker,
then times ``GET /kue/stats`` and ``GET /kue/jobs/complete/0..49/desc`` (and the inactive
page, a zset of ~N) through DRF's test client when ``django_kue.api`` serves them; without
the API it times the core calls behind those routes and says so.
"""

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn, rounds, per_round):
    """Median over rounds of each round's p50 and p99, in ms."""
    p50s, p99s = [], []
    for _ in range(rounds):
        samples = []
        for _ in range(per_round):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        p50s.append(pct(samples, 0.5))
        p99s.append(pct(samples, 0.99))
    return {"p50_ms": statistics.median(p50s), "p99_ms": statistics.median(p99s)}


def main():
    n, complete = int(sys.argv[1]), int(sys.argv[2])
    django.setup()
    from django_kue.connection import get_queue

    q = get_queue()
    from django_kue.core.queue import Queue

    # The jobs are written by create_many's own script ("save"), 1,000 per call, with the
    # arguments create_many would encode for them, but encoded once: building a million Job
    # objects in Python would only cost time. Events are off for the writing: the reads below
    # do not depend on how the jobs were made, and the stream is capped anyway.
    writer = Queue(q.client, dataclasses.replace(q.config, events=False))
    sample = writer.create("noop", {"title": "job"})
    values = writer._encode(sample)
    t = time.perf_counter()
    from django_kue.core import clock

    # four calls per pipeline: Redis runs one while the next ones are packed and sent
    for first in range(0, n, 4000):
        pipe = writer.client.pipeline(transaction=False)
        for start in range(first, min(n, first + 4000), 1000):
            count = min(1000, n - start)
            writer.scripts.queue(pipe, "save", clock.now_ms(), count, *(values * count))
        pipe.execute()
    create_s = time.perf_counter() - t
    subprocess.run([sys.executable, str(ROOT / "testproject" / "manage.py"), "runkueworker",
                    "-v", "0", "--types", "noop", "--no-mirror", f"--max-jobs={complete}"],
                   check=True, timeout=300)
    out = {"jobs": n, "complete": q.complete_count(), "create_s": round(create_s, 2),
           "redis_used_memory": q.client.info("memory")["used_memory"]}
    routes = {}
    try:
        from django.contrib.auth.models import User
        from django.test import override_settings
        from rest_framework.test import APIClient

        import django_kue.urls  # noqa: F401

        client = APIClient()
        client.force_authenticate(User(username="bench", is_staff=True, is_superuser=True))
        with override_settings(ROOT_URLCONF="kue_bench.urls"):
            for path in ("/kue/stats", "/kue/jobs/complete/0..49/desc", "/kue/jobs/inactive/0..49/desc"):
                reply = client.get(path)
                if reply.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {reply.status_code} {reply.content[:200]!r}")
                routes["GET " + path] = timed(lambda p=path: client.get(p), 3, 100)
        out["through"] = "DRF APIClient, django_kue.urls"
    except Exception as exc:  # the API is not there (yet): time the core calls behind it
        out["through"] = f"core calls (the JSON API was not usable: {exc.__class__.__name__}: {exc})"
        routes["queue.counts() [/stats]"] = timed(lambda: (q.counts(), q.work_time()), 3, 100)
        routes["range_by_state complete 0..49 desc"] = timed(
            lambda: q.range_by_state("complete", 0, 49, "desc"), 3, 100)
        routes["range_by_state inactive 0..49 desc"] = timed(
            lambda: q.range_by_state("inactive", 0, 49, "desc"), 3, 100)
    out["routes"] = routes
    print(json.dumps(out))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    sys.path.insert(0, str(ROOT))
    main()
