"""The demo's child processes: ``runserver`` and ``runkueworker``, each logging to a file.

They run in their own session, so a Ctrl-C in the terminal reaches only the demo, which then
sends each child one SIGTERM: the worker drains its running jobs instead of being forced.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class Child:
    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(MANAGE_PY), *args], env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait for the drain; SIGKILL only if it overruns."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log_file.close()
        return self.proc.returncode


def wait_for_port(child: Child, port: int, timeout: float = 30.0) -> bool:
    """Whether the server's port answers before it exits or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.alive():
        if port_in_use(port):
            return True
        time.sleep(0.1)
    return False
