"""What ``manage.py kue`` does, apart from parsing: the tables it prints and the changes it
makes. Every change is validated in full before the first write, so a bad id changes nothing.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from .core import clock, workers
from .core.errors import JobNotFound
from .core.job import Job
from .core.metrics import snapshot
from .core.queue import Queue, parse_id
from .core.states import STATES, priority_name

RETRYABLE = ("failed", "complete", "delayed")  # active: a worker holds it; inactive: queued already
STATE_LABELS = {"inactive": "queued"}


class Refused(Exception):
    """Bad input: the command prints it as an error and has changed nothing."""


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Columns aligned; numbers to the right, text to the left."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    numeric = [all(_is_number(r[i]) for r in cells[1:]) and len(cells) > 1 for i in range(len(headers))]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _is_number(text: str) -> bool:
    return text.replace(".", "", 1).lstrip("-").isdigit() or text == ""


def ago(ms: int | None, now: int) -> str:
    if not ms:
        return ""
    s = max(0, (now - ms) // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def stats(queue: Queue) -> str:
    """Jobs per type and state, totals, and the live workers."""
    snap = snapshot(queue)
    types = sorted({t for t, _ in snap.jobs})
    rows = [[t, *(snap.jobs[(t, s)] for s in STATES)] for t in types]
    rows.append(["total", *(sum(snap.jobs[(t, s)] for t in types) for s in STATES)])
    headers = ["type", *(STATE_LABELS.get(s, s) for s in STATES)]
    busy = sum(int(w.get("active") or 0) for w in snap.workers)
    return (f"{table(headers, rows)}\n\n"
            f"workers alive: {len(snap.workers)}, running {busy} job(s)")


def jobs(queue: Queue, state: str, type_: str | None, limit: int, order: str) -> str:
    found = (queue.range_by_type(type_, state, 0, limit - 1, order) if type_
             else queue.range_by_state(state, 0, limit - 1, order))
    now = clock.now_ms()
    rows = [[j.id, j.type, _cut(j.title or "", 40), priority_name(j.priority),
             f"{j.attempts_made}/{j.max_attempts}", ago(j.created_at, now), ago(j.updated_at, now),
             _cut((j.error or "").split("\n")[0], 50)] for j in found]
    total = queue.card(state, type_)
    shown = f"{len(rows)} of {total} {STATE_LABELS.get(state, state)} job(s)" + (
        f" of type {type_}" if type_ else "")
    headers = ["id", "type", "title", "priority", "attempts", "created", "updated", "error"]
    return f"{table(headers, rows)}\n\n{shown}"


def workers_table(queue: Queue) -> str:
    now = clock.now_ms()
    rows = [[w.get("host"), w.get("pid"), ", ".join(f"{t}×{n}" for t, n in w["types"].items()),
             w.get("active"), w.get("processed"), ago(w.get("heartbeat_at"), now) + " ago"]
            for w in workers.live(queue)]
    return table(["host", "pid", "types", "active", "processed", "heartbeat"], rows)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def load(queue: Queue, ids: Sequence[str]) -> list[Job]:
    """The jobs named, all of them, or Refused (before anything changes)."""
    try:
        numbers = [parse_id(i) for i in ids]
    except Exception as exc:
        raise Refused(str(exc)) from None
    found = {j.id: j for j in queue.get_jobs(numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise Refused(f"no job with id {', '.join(map(str, missing))}: nothing changed")
    return [found[n] for n in numbers]


def retry(queue: Queue, ids: Sequence[str]) -> list[int]:
    jobs_ = load(queue, ids)
    refused = [f"{j.id} is {j.state}" for j in jobs_ if j.state not in RETRYABLE]
    if refused:
        raise Refused(f"only failed, complete or delayed jobs are retried ({'; '.join(refused)}): "
                      "nothing changed")
    return _move(queue, [j.id for j in jobs_])


def retry_failed(queue: Queue, type_: str | None) -> list[int]:
    return _move(queue, queue.ids_by_state("failed", type_))


def _move(queue: Queue, ids: list[int]) -> list[int]:
    done = []
    for job_id in ids:
        try:
            queue.set_state(job_id, "inactive")
            done.append(job_id)
        except JobNotFound:  # removed meanwhile
            pass
    return done


def remove(queue: Queue, ids: Sequence[str]) -> list[int]:
    done = []
    for job in load(queue, ids):
        try:
            queue.remove(job.id)
            done.append(job.id)
        except JobNotFound:
            pass
    return done


def promote(queue: Queue, ids: Sequence[str]) -> int:
    """Named delayed jobs now, or every due delayed job (as a worker would)."""
    if not ids:
        return queue.promote()
    jobs_ = load(queue, ids)
    refused = [f"{j.id} is {j.state}" for j in jobs_ if j.state != "delayed"]
    if refused:
        raise Refused(f"only delayed jobs are promoted ({'; '.join(refused)}): nothing changed")
    return len(_move(queue, [j.id for j in jobs_]))
