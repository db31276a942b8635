from tasks.probe import record

from django_kue import kue_job


@kue_job("bench_probe", concurrency=50)
def bench_probe(job):
    record(job.data["t"])
