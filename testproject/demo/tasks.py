"""The demo's job handlers; the README's examples are these functions."""

import random
import time

from django_kue import kue_job


@kue_job("email", concurrency=4, attempts=3, backoff={"type": "exponential", "delay": 1000})
def send_email(job):
    job.log("sending to %s", job.data["to"])
    job.progress(1, 2)
    time.sleep(job.data.get("seconds", 0.2))
    job.progress(2, 2)
    return {"sent": True, "to": job.data["to"]}


@kue_job("video", concurrency=2, ttl=60_000)
def convert_video(job):
    frames = int(job.data.get("frames", 20))
    for frame in range(1, frames + 1):
        time.sleep(job.data.get("frame_seconds", 0.1))
        job.progress(frame, frames, {"frame": frame})
    job.log("converted %d frames", frames)
    return {"frames": frames}


@kue_job("flaky", attempts=3, backoff=True, delay=500)
def flaky(job):
    """Fails its first attempts to show retries and backoff."""
    if job.attempts_made < job.data.get("fail_times", 2):
        raise RuntimeError(f"transient failure on attempt {job.attempts_made + 1}")
    job.log("succeeded on attempt %d", job.attempts_made + 1)
    return "ok"


@kue_job("report", concurrency=1)
def build_report(job, ctx):
    rows = int(job.data.get("rows", 5))
    for row in range(rows):
        job.log("row %d: %d", row, random.randint(0, 100))
        job.progress(row + 1, rows)
    return {"rows": rows}


@kue_job("noop", concurrency=50)
def noop(job):
    return None
