"""``manage.py kueclean``: remove finished jobs now, by ``KUE["KEEP"]`` or by the limits given.

Workers enforce ``KEEP`` as jobs finish; this is for one-off clean-ups (a backlog from before
KEEP was set, or a tighter limit once). Each removed job sends Kue's ``remove`` event, so the
job mirror drops its row.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from django_kue.connection import get_queue
from django_kue.core.errors import KueError
from django_kue.core.retention import FINISHED, apply_keep
from django_kue.management.arguments import non_negative_int, type_list


class Command(BaseCommand):
    help = "Remove complete and failed jobs: by KUE['KEEP'], or by --keep / --older-than."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--state", choices=FINISHED, action="append", dest="states",
                            help="complete or failed (repeatable; default both)")
        parser.add_argument("--keep", type=non_negative_int, dest="count",
                            help="keep the newest N jobs of each state")
        parser.add_argument("--older-than", type=non_negative_int, dest="age", metavar="MS",
                            help="remove jobs finished more than MS milliseconds ago")
        parser.add_argument("--types", type=type_list, help="only these job types (comma-separated)")

    def handle(self, *args, **options) -> None:
        queue = get_queue()
        limits = options["count"] is not None or options["age"] is not None
        if not limits and (options["states"] or options["types"]):
            raise CommandError("--state and --types need --keep and/or --older-than; "
                               "without options kueclean applies KUE['KEEP']")
        try:
            if not limits:
                removed = apply_keep(queue)
            else:
                removed = {state: sum(queue.clean(state, count=options["count"], age=options["age"],
                                                  type=t) for t in options["types"] or [None])
                           for state in options["states"] or FINISHED}
        except KueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(", ".join(f"{n} {state} job(s) removed" for state, n in removed.items()))
