"""The API of what Kue never had: unique keys and dependencies in POST /job, cancel routes,
parent/child ids in the job JSON, and the periodic schedules."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def post(api, body):
    return api.post("/kue/job", body, format="json")


def test_post_job_with_a_unique_key_returns_the_live_job(api, redis_queue):
    body = {"type": "email", "data": {"to": "a"}, "options": {"uniqueKey": "a"}}
    first, second = post(api, body).json(), post(api, body).json()
    assert first["id"] == second["id"]
    assert redis_queue.inactive_count("email") == 1
    job = api.get(f"/kue/job/{first['id']}").json()
    assert job["unique_key"] == "a"


def test_post_job_refuses_a_bad_unique_key(api, redis_queue, snapshot):
    before = snapshot()
    response = post(api, {"type": "email", "options": {"uniqueKey": ["x"]}})
    assert response.status_code == 400 and "unique_key" in response.json()["error"]
    assert snapshot() == before


def test_cancel_route(api, redis_queue):
    job = redis_queue.create("email").save()
    response = api.post(f"/kue/job/{job.id}/cancel")
    assert response.status_code == 200
    assert response.json() == {"message": f"job {job.id} cancelled", "state": "failed"}
    body = api.get(f"/kue/job/{job.id}").json()
    assert body["state"] == "failed" and body["cancelled"] is True and body["error"] == "cancelled"
    again = api.post(f"/kue/job/{job.id}/cancel")
    assert again.status_code == 400 and "already" in again.json()["error"]
    assert api.post("/kue/job/999999/cancel").status_code == 404
    assert api.get(f"/kue/job/{job.id}/cancel").status_code == 405


def test_rest_cancel_action(api, redis_queue):
    job = redis_queue.create("email", delay=60_000).save()
    response = api.post(f"/kue/api/jobs/{job.id}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "failed" and body["cancelled"] is True and body["error"] == "cancelled"


def test_periodic_route_lists_schedules_with_next_and_last_run(api, redis_queue, settings):
    settings.KUE = {**settings.KUE, "PERIODIC": {
        "beat": {"type": "tick", "every": 60_000}, "nightly": {"type": "r", "cron": "0 3 * * *"}}}
    from django_kue import periodic
    from django_kue.core.periodic import Scheduler

    body = {s["name"]: s for s in api.get("/kue/periodic").json()}
    assert body["beat"]["type"] == "tick" and body["beat"]["every"] == 60_000
    assert body["beat"]["last_run"] is None and int(body["beat"]["next_run"]) % 60_000 == 0
    assert body["nightly"]["cron"] == "0 3 * * *" and body["nightly"]["every"] is None
    Scheduler(redis_queue, periodic.schedules()).run_due()
    body = {s["name"]: s for s in api.get("/kue/periodic").json()}
    assert body["beat"]["last_run"] is not None


def test_dependencies_through_post_job_and_the_job_json(api, redis_queue):
    parent = post(api, {"type": "fetch"}).json()["id"]
    child = post(api, {"type": "merge", "options": {"dependsOn": [parent]}}).json()["id"]
    body = api.get(f"/kue/job/{child}").json()
    assert body["state"] == "delayed" and body["dependencies"] == [parent] and body["waiting"] == 1
    assert api.get(f"/kue/job/{parent}").json()["dependents"] == [child]
    rest = api.get(f"/kue/api/jobs/{child}/").json()
    assert rest["dependencies"] == [parent] and rest["dependents"] == [] and rest["waiting"] == 1
    bad = post(api, {"type": "merge", "options": {"dependsOn": [987654]}})
    assert bad.status_code == 400 and "987654 doesnt exist" in bad.json()["error"]
    created = api.post("/kue/api/jobs/", {"type": "merge", "depends_on": [parent],
                                          "on_dependency_failure": "cancel"}, format="json")
    assert created.status_code == 201 and created.json()["dependencies"] == [parent]
