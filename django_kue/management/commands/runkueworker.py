"""``manage.py runkueworker``: parse, validate, then hand over to the core Worker."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from django_kue import periodic
from django_kue.conf import kue_settings
from django_kue.connection import get_queue
from django_kue.core.errors import KueError
from django_kue.core.periodic import Scheduler
from django_kue.core.worker import Worker
from django_kue.management.arguments import non_negative_int, positive_int, type_list
from django_kue.mirror import syncing
from django_kue.mirror_process import mirroring
from django_kue.registry import handler_specs
from django_kue.supervisor import run_processes


class Command(BaseCommand):
    help = "Run the @kue_job handlers: claim jobs from Redis and process them."
    # django_kue's own checks (settings.KUE) and Django's compatibility ones, not the URL,
    # admin and template checks (importing every urlconf and admin took ~0.3-0.6 s of each
    # worker's start; `manage.py check` and runserver still run them all)
    requires_system_checks = [Tags.compatibility]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--types", type=type_list, help="comma-separated job types (default: all)")
        parser.add_argument("--concurrency", type=positive_int,
                            help="slots per type, overriding each @kue_job's concurrency")
        parser.add_argument("--processes", type=positive_int, default=1,
                            help="worker processes to start (one per core is a good start)")
        parser.add_argument("--shutdown-timeout", type=non_negative_int, dest="shutdown_timeout",
                            help="ms to wait for running jobs on SIGTERM before failing them "
                                 "with reason 'shutdown' (default: KUE['SHUTDOWN_TIMEOUT'])")
        parser.add_argument("--burst", action="store_true",
                            help="stop when no job is queued or running")
        parser.add_argument("--max-jobs", type=positive_int, dest="max_jobs",
                            help="stop after this many jobs")
        parser.add_argument("--no-mirror", action="store_false", dest="mirror",
                            help="do not sync the admin's job mirror here (see kuemirror)")
        parser.add_argument("--no-periodic", action="store_false", dest="periodic",
                            help="do not enqueue periodic jobs here (every worker does by default; "
                                 "a tick is enqueued once however many run)")

    def handle(self, *args, **options) -> None:
        _configure_logging(options["verbosity"])
        try:
            specs = handler_specs(options["types"])
            schedules = periodic.schedules() if options["periodic"] else []
        except KueError as exc:
            raise CommandError(str(exc)) from None
        if not specs:
            raise CommandError("no @kue_job handlers are registered: define them in an installed "
                               "app's tasks.py or jobs.py")
        if options["concurrency"]:
            specs = [dataclasses.replace(s, concurrency=options["concurrency"]) for s in specs]
        if options["processes"] > 1:
            if options["mirror"] and kue_settings.MIRROR:
                # the supervisor, idle otherwise, syncs the mirror; its workers do not
                with syncing():
                    sys.exit(run_processes(options["processes"], [*_child_argv(options), "--no-mirror"]))
            sys.exit(run_processes(options["processes"], _child_argv(options)))
        timeout = options["shutdown_timeout"]
        worker = Worker(
            get_queue(), specs, burst=options["burst"], max_jobs=options["max_jobs"],
            shutdown_timeout=kue_settings.SHUTDOWN_TIMEOUT if timeout is None else timeout,
            idle_wait=kue_settings.IDLE_WAIT,
        )
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        worker.install_signal_handlers()
        scheduler = Scheduler(get_queue(), schedules).start() if schedules else None
        try:
            if options["mirror"] and kue_settings.MIRROR:
                with mirroring():  # one process syncs at a time: a lock in Redis picks it
                    worker.run()
            else:
                worker.run()
        finally:  # call_command() in a test or a script must get its own handlers back
            if scheduler is not None:
                scheduler.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _child_argv(options: dict) -> list[str]:
    argv = ["runkueworker", f"--verbosity={options['verbosity']}"]
    if options["types"]:
        argv.append("--types=" + ",".join(options["types"]))
    for name in ("concurrency", "shutdown_timeout", "max_jobs"):
        if options[name] is not None:
            argv.append(f"--{name.replace('_', '-')}={options[name]}")
    if options["burst"]:
        argv.append("--burst")
    if not options["mirror"]:
        argv.append("--no-mirror")
    if not options["periodic"]:
        argv.append("--no-periodic")
    return argv


def _configure_logging(verbosity: int) -> None:
    logger = logging.getLogger("django_kue")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if verbosity == 0 else logging.DEBUG if verbosity > 1 else logging.INFO)
