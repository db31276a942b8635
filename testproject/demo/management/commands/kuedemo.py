"""``manage.py kuedemo`` (what ``bash scripts/demo`` runs): the testproject, alive.

Finds Redis (or embeds one and says so), migrates, makes an admin/admin superuser, starts
``runserver`` and ``runkueworker``, enqueues sample jobs of every demo type, prints where to
look, then keeps adding a few jobs every few seconds until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from django_kue.conf import to_core_config
from django_kue.connection import get_queue
from django_kue.management.arguments import non_negative_int, port, positive_number

from ..embedded import EmbeddedRedis, answers
from ..links import describe_urls
from ..processes import Child, port_in_use, wait_for_port
from ..samples import enqueue_samples


class Command(BaseCommand):
    help = "Run the demo: site + worker + sample jobs (an embedded Redis if none answers)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=port, default=8000, help="runserver's port (8000)")
        parser.add_argument("--no-worker", action="store_false", dest="worker",
                            help="do not start runkueworker (jobs wait in 'inactive')")
        parser.add_argument("--jobs", type=non_negative_int, default=24, help="sample jobs to start with (24)")
        parser.add_argument("--every", type=positive_number, default=4.0,
                            help="seconds between two batches of new jobs (4)")
        parser.add_argument("--exit-after", type=positive_number, dest="exit_after",
                            help="stop by itself after this many seconds (tests)")
        parser.add_argument("--embedded", action="store_true",
                            default=os.environ.get("KUE_DEMO_EMBEDDED") == "1",
                            help="use the embedded in-memory Redis even if one is running")

    def handle(self, *args, **options) -> None:
        if port_in_use(options["port"]):
            raise CommandError(f"port {options['port']} is in use: stop what listens there or "
                               f"pass --port")
        previous = signal.signal(signal.SIGTERM, _interrupt)  # a kill stops the children too
        embedded = self._redis(options["embedded"])
        children: list[Child] = []
        try:
            self._prepare()
            self._start(options, children)
            made = enqueue_samples(options["jobs"])
            self.say(f"Enqueued {sum(made.values())} sample jobs: "
                     + ", ".join(f"{n} {t}" for t, n in sorted(made.items())) + ".")
            self.say(describe_urls(options["port"], children))
            self.say("Press Ctrl-C to stop.\n")
            self._loop(options, children)
        except KeyboardInterrupt:  # Ctrl-C while starting up: stop what started, quietly
            self.say("")
        finally:
            self._stop(children, embedded)
            signal.signal(signal.SIGTERM, previous)

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _redis(self, force_embedded: bool) -> EmbeddedRedis | None:
        config = to_core_config()
        if not force_embedded and answers(config):
            self.say(f"Using Redis at {config.describe()} (key prefix {config.prefix!r}).")
            return None
        embedded = EmbeddedRedis().start()
        reason = "--embedded:" if force_embedded else f"No Redis at {config.describe()}:"
        self.say(f"{reason} using an embedded in-memory Redis (fakeredis) on {embedded.address}; "
                 f"jobs vanish when the demo stops.")
        os.environ["KUE_REDIS_URL"] = embedded.url  # for the site and the worker
        self._override = override_settings(KUE={**settings.KUE, "REDIS_URL": embedded.url})
        self._override.enable()  # for this process: conf reloads, the cached queue is dropped
        return embedded

    def _prepare(self) -> None:
        database = settings.DATABASES["default"]
        self.say(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; migrating.")
        call_command("migrate", interactive=False, verbosity=0)
        from django.contrib.auth import get_user_model

        users = get_user_model()
        if users.objects.filter(username="admin").exists():
            self.say("User 'admin' exists already (its password is unchanged).")
        else:
            users.objects.create_superuser("admin", "admin@example.com", "admin")
            self.say("Created the staff superuser admin / admin (demo only!).")

    def _start(self, options: dict, children: list[Child]) -> None:
        """Start the site and the worker, adding each to ``children`` at once, so that a
        failure of one still stops the other."""
        log_dir = Path(tempfile.mkdtemp(prefix="kuedemo-"))
        env = dict(os.environ)
        server = Child("runserver", ["runserver", f"127.0.0.1:{options['port']}", "--noreload"],
                       log_dir, env)
        children.append(server)
        if options["worker"]:
            children.append(Child("worker", ["runkueworker", "--shutdown-timeout=5000"], log_dir, env))
        if not wait_for_port(server, options["port"]):
            raise CommandError(f"runserver did not start:\n{server.tail()}")
        for child in children:
            if not child.alive():
                raise CommandError(f"{child.name} exited at start:\n{child.tail()}")

    def _loop(self, options: dict, children: list[Child]) -> None:
        stop_at = time.monotonic() + options["exit_after"] if options["exit_after"] else None
        try:
            while stop_at is None or time.monotonic() < stop_at:
                time.sleep(min(options["every"], max(0.0, (stop_at or 1e18) - time.monotonic())))
                for child in children:
                    if not child.alive():
                        raise CommandError(f"{child.name} stopped:\n{child.tail()}")
                enqueue_samples(3)
                counts = get_queue().counts()
                self.say("jobs: " + ", ".join(f"{counts[s]} {s}" for s in
                                               ("inactive", "delayed", "active", "complete", "failed")))
        except KeyboardInterrupt:
            self.say("")

    def _stop(self, children: list[Child], embedded: EmbeddedRedis | None) -> None:
        if children:
            self.say("Stopping: the worker finishes its running jobs first ...")
        for child in reversed(children):  # the worker first, while the site still answers
            child.stop()
        if embedded is not None:
            self._override.disable()
            embedded.stop()
            self.say("Embedded Redis stopped; its jobs are gone.")
        self.say("Demo stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
