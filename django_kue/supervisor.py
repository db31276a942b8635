"""``runkueworker --processes N``: start N worker processes, restart any that dies, and pass
SIGTERM/SIGINT on so that each drains its jobs."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

logger = logging.getLogger("django_kue.supervisor")


def child_command(argv: list[str]) -> list[str]:
    """How to start one more of this process: through manage.py when that is what runs, else
    ``python -m django`` (call_command() from a script or a test runner, whose argv[0] is not
    a Django command line)."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if script.endswith("manage.py") or script.startswith("django-admin"):
        return [sys.executable, os.path.abspath(sys.argv[0]), *argv]
    from django.conf import settings

    return [sys.executable, "-m", "django", *argv, f"--settings={settings.SETTINGS_MODULE}",
            f"--pythonpath={os.getcwd()}"]


def run_processes(count: int, argv: list[str]) -> int:
    command = child_command(argv)
    children = [subprocess.Popen(command) for _ in range(count)]
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    logger.info("started %d worker processes: %s", count, " ".join(str(c.pid) for c in children))
    while True:
        for i, child in enumerate(children):
            code = child.poll()
            if code is None:
                continue
            if stopping or "--burst" in argv or any(a.startswith("--max-jobs") for a in argv):
                continue
            logger.warning("worker process %d exited with %s; starting another", child.pid, code)
            children[i] = subprocess.Popen(command)
        if all(c.poll() is not None for c in children):
            return max((c.returncode or 0) for c in children) if not stopping else 0
        time.sleep(0.2)
