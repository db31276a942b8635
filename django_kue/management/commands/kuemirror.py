"""``manage.py kuemirror``: keep the admin's job mirror in sync with Redis, alone (runkueworker
also does it by default), or reconcile the whole table once with ``--rebuild``."""

from __future__ import annotations

import argparse
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from django_kue.mirror import Mirror, MirrorBusy
from django_kue.mirror_process import CHILD_BATCH, PACE_MS, watch_parent


class Command(BaseCommand):
    help = "Sync the Django job mirror from the Redis event stream (Redis stays authoritative)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true",
                            help="reconcile the whole table with Redis once, then exit")
        parser.add_argument("--once", action="store_true",
                            help="apply the events waiting now, then exit")
        parser.add_argument("--parent", type=int, help=argparse.SUPPRESS)  # runkueworker's child

    def handle(self, *args, **options) -> None:
        mirror = Mirror()
        if options["rebuild"] or options["once"]:
            try:
                with mirror.locked():
                    if options["rebuild"]:
                        mirror.ensure_group()
                        rows, deleted = mirror.rebuild()
                        self.stdout.write(f"mirror rebuilt: {rows} job(s), {deleted} stale row(s) deleted")
                    else:
                        applied = mirror.catch_up()
                        self.stdout.write(f"mirror: {applied} event(s) applied")
            except MirrorBusy as exc:
                raise CommandError(f"{exc}; stop it or wait for it") from None
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        if options["parent"]:  # runkueworker's child: quiet, and gone with its worker
            watch_parent(options["parent"], stop)
            Mirror(batch=CHILD_BATCH).follow(stop, pace_ms=PACE_MS)
            return
        self.stdout.write("mirror: following the event stream (Ctrl-C stops)")
        mirror.follow(stop, pace_ms=PACE_MS)
