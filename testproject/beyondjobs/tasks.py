"""Handlers with a rate limit and a schedule, for the tests that run several worker processes.

Installed only when a test asks (KUE_EXTRA_APPS=testproject.beyondjobs), so the periodic job
does not tick in every other test's workers.
"""

import datetime as dt
import os

from django_kue import kue_job


@kue_job("t.limited", concurrency=4, rate_limit="3/s")
def limited(job):
    return {"pid": os.getpid()}


@kue_job("t.tick", every=dt.timedelta(seconds=1))
def tick(job):
    return {"pid": os.getpid()}
