"""Markdown for the README from a results file: the table, the machine, W7, the targets.

    bench/.venv/bin/python bench/report.py [bench/results/latest.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH)]

from run import table  # noqa: E402

KUE = "django-kue"


def targets(result: dict) -> list[tuple[str, str, bool | None]]:
    row = result["summary"].get(KUE, {})
    ratio = result.get("ratios", {}).get(KUE, {})
    w7 = result.get("w7", {}).get("routes", {})
    page = next((v for k, v in w7.items() if "complete" in k), None)

    def check(value, ok):
        return None if value is None else ok(value)

    rows = [
        ("W2 ≥ 10,000 jobs/s per worker process", f"{row.get('w2') or 0:,.0f} from start, "
         f"{row.get('w2_steady') or 0:,.0f} steady", check(row.get("w2"), lambda v: v >= 10_000)),
        ("W2 ≥ 1.5x the best peer", f"{ratio.get('w2') or 0:.2f}x", check(ratio.get("w2"), lambda v: v >= 1.5)),
        ("W1 ≥ 1.5x the best peer", f"{ratio.get('w1') or 0:.2f}x", check(ratio.get("w1"), lambda v: v >= 1.5)),
        ("W1b ≥ 50,000 jobs/s", f"{row.get('w1b') or 0:,.0f}", check(row.get("w1b"), lambda v: v >= 50_000)),
        ("W4 p50 ≤ 2 ms", f"{row.get('w4_p50') or 0:.2f} ms", check(row.get("w4_p50"), lambda v: v <= 2)),
        ("W4 p99 ≤ 10 ms", f"{row.get('w4_p99') or 0:.2f} ms", check(row.get("w4_p99"), lambda v: v <= 10)),
        ("W5 p99 lateness ≤ 50 ms", f"{row.get('w5_p99') or 0:.1f} ms", check(row.get("w5_p99"), lambda v: v <= 50)),
        ("W6 ≤ 1 KB Redis per completed job", f"{row.get('w6_bytes') or 0:,.0f} B",
         check(row.get("w6_bytes"), lambda v: v <= 1024)),
        ("W6 worker RSS ≤ 80 MB", f"{row.get('w6_rss_mb') or 0:.1f} MB", check(row.get("w6_rss_mb"), lambda v: v <= 80)),
        ("W7 p50 ≤ 10 ms at 1,000,000 jobs (jobs page)", f"{page['p50_ms']:.1f} ms" if page else "n/a",
         check(page and page["p50_ms"], lambda v: v <= 10)),
        ("mirror lag < 2 s while W2 runs (catch-up after the last job)",
         f"{row.get('mirror_catch_up_s'):.2f} s" if row.get("mirror_catch_up_s") is not None else "n/a",
         check(row.get("mirror_catch_up_s"), lambda v: v < 2)),
    ]
    return rows


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results" / "latest.json"
    result = json.loads(path.read_text())
    m = result["machine"]
    print(f"Run {result['started']} ({result['seconds']} s, {'quick' if result['quick'] else 'full'} sizes, "
          f"{result['reps']} repetitions, medians): {m.get('cpu')}, {m['cores']} cores, "
          f"{m.get('memory')}, {m['platform']}, Python {m['python']}, {m['redis']}; load average "
          f"{', '.join(f'{x:.2f}' for x in result['loadavg_start'])} at the start and "
          f"{', '.join(f'{x:.2f}' for x in result['loadavg_end'])} at the end (shared machine).")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()) + ".\n")
    print(table(result["summary"], result["ratios"]))
    print("\nRatios: how many times better django-kue is than the best peer in that column "
          "(above 1 is better; for latency, lateness and memory, lower figures are better). "
          "\"capped\": the drain reached its window before the last job (see above).\n")
    w7 = result.get("w7", {})
    if w7.get("routes"):
        print(f"W7 ({w7['jobs']:,} jobs in Redis, {w7['complete']:,} complete; {w7['through']}):\n")
        print("| route | p50 ms | p99 ms |\n|---|---|---|")
        for route, v in w7["routes"].items():
            print(f"| `{route}` | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} |")
        print()
    elif w7:
        print(f"W7: not measured ({w7.get('error', '')[-300:]})\n")
    print("Targets (django-kue with its defaults, this machine):\n")
    print("| target | measured | met |\n|---|---|---|")
    for name, value, ok in targets(result):
        print(f"| {name} | {value} | {'n/a' if ok is None else 'yes' if ok else '**no**'} |")


if __name__ == "__main__":
    main()
