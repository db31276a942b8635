"""Security: no pickle anywhere (job data, results and progress are JSON; the import ban is
``test_no_pickle_anywhere`` in tests/test_architecture.py); handlers run only for registered
types; the dashboard and the APIs refuse anonymous users; staff without the job model's
permissions cannot act on jobs (the admin's own actions: ``test_view_only_staff_can_browse_but_
not_act`` in tests/integration/test_admin.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from django_kue.testing import run_jobs

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

DASHBOARD = "/admin/django_kue/dashboard/"
SURFACES = ["/kue/stats", "/kue/job/1", "/kue/jobs/0..10", "/kue/api/jobs/", "/kue/api/jobs/1/",
            "/kue/api/schema/", DASHBOARD, DASHBOARD + "poll/", DASHBOARD + "jobs/?state=inactive",
            DASHBOARD + "job/1/", "/admin/django_kue/jobrecord/"]
WRITES = [("post", "/kue/job", {"type": "t.echo"}), ("delete", "/kue/job/{id}", None),
          ("put", "/kue/job/{id}/state/failed", None), ("put", "/kue/job/{id}/priority/high", None),
          ("post", "/kue/api/jobs/", {"type": "t.echo"}), ("delete", "/kue/api/jobs/{id}/", None),
          ("post", "/kue/api/jobs/{id}/retry/", None),
          ("post", "/kue/api/jobs/{id}/priority/", {"priority": "high"})]


@pytest.fixture
def secret_job(redis_queue):
    return redis_queue.create("t.echo", {"title": "s3cret"}).save()


def test_a_job_of_an_unregistered_type_is_never_run(redis_queue):
    stranger = redis_queue.create("os.system", {"cmd": "rm -rf /"}).save()
    known = redis_queue.create("t.echo", {"ok": 1}).save()
    assert run_jobs() == 1  # a worker of every registered type
    assert known.refresh().state == "complete"
    assert stranger.refresh().state == "inactive" and stranger.worker_id is None
    with pytest.raises(CommandError, match="os.system"):
        call_command("runkueworker", "--types=os.system", "--burst")


@pytest.mark.parametrize("path", SURFACES)
def test_anonymous_users_get_no_data(secret_job, path):
    response = APIClient().get(path.replace("/1", f"/{secret_job.id}"))
    assert response.status_code in (302, 401, 403), (path, response.status_code)
    assert b"s3cret" not in response.content
    if response.status_code == 302:
        assert "/login/" in response["Location"]


@pytest.fixture
def viewer(django_user_model):
    """Staff with only the view permissions: may read, may not act."""
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="django_kue", codename__in=["view_jobrecord", "view_dashboard"]))
    client = APIClient()
    client.force_login(user)
    return client


def state_of(queue, job_id):
    return {k.decode(): v.decode() for k, v in queue.client.hgetall(queue.keys.job(job_id)).items()}


@pytest.mark.parametrize("method, path, body", WRITES)
def test_staff_without_the_model_permissions_cannot_act_through_the_apis(
        redis_queue, secret_job, viewer, method, path, body):
    before = state_of(redis_queue, secret_job.id)
    response = getattr(viewer, method)(path.format(id=secret_job.id), body, format="json")
    assert response.status_code == 403, response.content
    assert "permission" in response.json()["error"]
    assert state_of(redis_queue, secret_job.id) == before
    assert redis_queue.counts()["inactive"] == 1  # nothing created either
    assert viewer.get(f"/kue/job/{secret_job.id}").status_code == 200  # reading is allowed


def test_staff_without_the_change_permission_cannot_act_through_the_dashboard(
        redis_queue, secret_job, viewer):
    assert viewer.get(DASHBOARD).status_code == 200
    for action in ("retry", "remove", "priority"):
        response = viewer.post(DASHBOARD + "action/", json.dumps(
            {"action": action, "ids": [secret_job.id], "priority": "high"}),
            content_type="application/json")
        assert response.status_code == 403
    assert redis_queue.get_job(secret_job.id).priority == 0
