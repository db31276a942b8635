from tests.helpers import wait_until


def test_a_job_runs_and_completes(queue, start_worker):
    job = queue.create("email", {"title": "welcome", "to": "a@b.c"}).save()
    start_worker({"email": lambda j: {"sent": j.data["to"]}})
    wait_until(lambda: job.refresh().state == "complete")
    assert job.result == {"sent": "a@b.c"}
    assert job.attempts_made == 1
