"""One module per system, each with a ``System`` class of the same small interface
(see ``base.System``). ``ALL`` lists the rows of the table in order."""

from . import arq_, celery_, dramatiq_, huey_, kue, rq_

ALL = [kue.Kue(events=True), kue.Kue(events=False), rq_.RQ(), celery_.CeleryBench(),
       dramatiq_.Dramatiq(), huey_.Huey(), arq_.Arq()]
