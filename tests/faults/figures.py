"""Print the README's "Last fault-test run" table from test-artifacts/faults/*.json:
``python -m tests.faults.figures`` after a run of tests/faults."""

from __future__ import annotations

import json

from .harness import ARTIFACTS

COLUMNS = [("jobs", "jobs"), ("acknowledged", "jobs"), ("faults", "kills"),
           ("workers_died", "workers died"), ("restarts", "restarts (workers; Redis)"), ("lost", "lost"),
           ("stuck", "stuck"), ("duplicates", "run twice"), ("reruns", "re-runs"),
           ("held_by_dead_workers", "held by dead workers"), ("failed", "failed"),
           ("wall_s", "wall time (s)")]


def main() -> None:
    runs = [json.loads(p.read_text()) for p in sorted(ARTIFACTS.glob("*.json"))]
    print("| test | " + " | ".join(title for _, title in COLUMNS[1:]) + " | at |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for run in runs:
        jobs = run.get("jobs", run.get("acknowledged", "-"))
        cells = [jobs] + [run.get(key, "-") for key, _ in COLUMNS[2:]]
        print(f"| {run['test']} | " + " | ".join(f"{c:,}" if isinstance(c, int) else str(c)
                                                 for c in cells) + f" | {run['at']} |")


if __name__ == "__main__":
    main()
