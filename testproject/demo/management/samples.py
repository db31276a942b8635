"""The demo's sample jobs: every demo type, several priorities, some delayed, some failing.

Made from the @kue_job objects in ``testproject/demo/tasks.py``, the same ones the README shows.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter

from testproject.demo.tasks import build_report, convert_video, flaky, send_email

PRIORITIES = ("low", "normal", "medium", "high", "critical")
_serial = itertools.count(1)


def _email(n: int, rng: random.Random) -> tuple:
    return send_email, {"title": f"welcome email to user{n}", "to": f"user{n}@example.com",
                        "seconds": 0.3}, {"priority": rng.choice(PRIORITIES)}


def _video(n: int, rng: random.Random) -> tuple:
    frames = rng.randint(20, 40)
    return convert_video, {"title": f"convert clip{n}.mp4 ({frames} frames)", "frames": frames,
                           "frame_seconds": 0.1}, {"priority": "high"}


def _flaky(n: int, rng: random.Random) -> tuple:
    # attempts=3: failing twice retries and completes; failing five times fails for good
    fail_times = 5 if n % 3 == 0 else rng.choice((1, 2))
    outcome = "fails for good" if fail_times >= 3 else f"retries {fail_times}x"
    return flaky, {"title": f"flaky call {n} ({outcome})", "fail_times": fail_times}, {}


def _report(n: int, rng: random.Random) -> tuple:
    return build_report, {"title": f"monthly report {n}", "rows": rng.randint(5, 12)}, {
        "priority": rng.choice(("low", "normal"))}


KINDS = (_email, _video, _flaky, _report)


def enqueue_samples(count: int, rng: random.Random | None = None) -> Counter:
    """Save ``count`` jobs, cycling through the kinds; every fourth is delayed 2-8 s."""
    rng = rng or random.Random()
    made: Counter = Counter()
    for i in range(count):
        n = next(_serial)
        job_type, data, options = KINDS[i % len(KINDS)](n, rng)
        if n % 4 == 0:
            options["delay"] = rng.randint(2000, 8000)
            data["title"] += " (delayed)"
        job_type.enqueue(data, **options)
        made[job_type.type] += 1
    return made
