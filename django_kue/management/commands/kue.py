"""``manage.py kue``: the operator's view of the queue from a shell.

    kue stats [--watch [SECONDS]] [--count N]    jobs per type and state, live workers
    kue jobs STATE [--type T] [--limit N] [--order asc|desc]
    kue workers                                  live workers: host, pid, types, active jobs
    kue retry ID [ID ...] | --failed [--type T]  back to the queue
    kue remove ID [ID ...]
    kue promote [ID ...]                         delayed jobs now (all due ones without ids)
"""

from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from django_kue import cli
from django_kue.connection import get_queue
from django_kue.core.states import STATES
from django_kue.management.arguments import positive_int, positive_number


class Command(BaseCommand):
    help = "Inspect and manage the Kue queue: stats, jobs, workers, retry, remove, promote."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        stats = sub.add_parser("stats", help="jobs per type and state, live workers")
        stats.add_argument("--watch", nargs="?", const=2.0, type=positive_number, metavar="SECONDS",
                           help="refresh every SECONDS (default 2) until Ctrl-C")
        stats.add_argument("--count", type=positive_int, help="with --watch: stop after N refreshes")
        jobs = sub.add_parser("jobs", help="list the jobs of a state")
        jobs.add_argument("state", choices=STATES)
        jobs.add_argument("--type", help="only jobs of this type")
        jobs.add_argument("--limit", type=positive_int, default=20, help="rows (default 20)")
        jobs.add_argument("--order", choices=("asc", "desc"), default="asc")
        sub.add_parser("workers", help="live workers")
        retry = sub.add_parser("retry", help="queue failed (or complete, delayed) jobs again")
        retry.add_argument("ids", nargs="*", metavar="ID")
        retry.add_argument("--failed", action="store_true", help="every failed job")
        retry.add_argument("--type", help="with --failed: only jobs of this type")
        remove = sub.add_parser("remove", help="delete jobs")
        remove.add_argument("ids", nargs="+", metavar="ID")
        promote = sub.add_parser("promote", help="run delayed jobs now")
        promote.add_argument("ids", nargs="*", metavar="ID")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"do_{action}")(**options)
        except cli.Refused as exc:
            raise CommandError(str(exc)) from None

    def do_stats(self, watch: float | None, count: int | None, **_) -> None:
        if watch is None:
            self.stdout.write(cli.stats(get_queue()))
            return
        clear = "\033[H\033[2J" if self.stdout.isatty() else ""
        shown = 0
        try:
            while count is None or shown < count:
                if shown:
                    time.sleep(watch)  # the refresh interval the operator asked for
                self.stdout.write(f"{clear}{time.strftime('%H:%M:%S')}  every {watch:g} s, Ctrl-C stops\n")
                self.stdout.write(cli.stats(get_queue()) + "\n")
                shown += 1
        except KeyboardInterrupt:
            pass

    def do_jobs(self, state: str, type: str | None, limit: int, order: str, **_) -> None:
        self.stdout.write(cli.jobs(get_queue(), state, type, limit, order))

    def do_workers(self, **_) -> None:
        self.stdout.write(cli.workers_table(get_queue()))

    def do_retry(self, ids: list[str], failed: bool, type: str | None, **_) -> None:
        if bool(ids) == failed:
            raise CommandError("give job ids or --failed (not both)")
        if type and not failed:
            raise CommandError("--type goes with --failed")
        done = cli.retry_failed(get_queue(), type) if failed else cli.retry(get_queue(), ids)
        self.stdout.write(f"queued again: {len(done)} job(s)" + _listed(done))

    def do_remove(self, ids: list[str], **_) -> None:
        done = cli.remove(get_queue(), ids)
        self.stdout.write(f"removed: {len(done)} job(s)" + _listed(done))

    def do_promote(self, ids: list[str], **_) -> None:
        self.stdout.write(f"promoted: {cli.promote(get_queue(), ids)} job(s)")


def _listed(ids: list[int], at_most: int = 20) -> str:
    if not ids:
        return ""
    more = f" … (+{len(ids) - at_most})" if len(ids) > at_most else ""
    return " (" + ", ".join(map(str, ids[:at_most])) + more + ")"
