"""Who may call the APIs: staff by default (session or Basic auth), CSRF on session writes,
anonymous and non-staff users get 401/403 and never data; KUE["API_PERMISSION_CLASSES"]."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

READS = ["/kue/stats", "/kue/job/types", "/kue/job/search?q=x", "/kue/job/1", "/kue/job/1/log",
         "/kue/jobs/0..10", "/kue/jobs/inactive/0..10/desc", "/kue/jobs/email/inactive/0..1",
         "/kue/jobs/email/inactive/stats", "/kue/api/", "/kue/api/jobs/", "/kue/api/jobs/1/",
         "/kue/api/stats/", "/kue/api/types/", "/kue/api/schema/", "/kue/jobs/nothing",
         "/kue/workers", "/kue/metrics"]
WRITES = [("post", "/kue/job"), ("delete", "/kue/job/1"), ("put", "/kue/job/1/state/failed"),
          ("put", "/kue/job/1/priority/high"), ("post", "/kue/api/jobs/"),
          ("delete", "/kue/api/jobs/1/"), ("post", "/kue/api/jobs/1/retry/"),
          ("post", "/kue/api/jobs/1/priority/")]


@pytest.fixture
def seeded(redis_queue):
    return redis_queue.create("email", {"title": "secret"}).save()


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def assert_no_data(response, statuses=(401, 403)):
    assert response.status_code in statuses, (response.status_code, response.content)
    assert b"secret" not in response.content
    assert list(response.json()) == ["error"]


@pytest.mark.parametrize("path", READS)
def test_anonymous_reads_get_401_with_basic_offered(db, seeded, path):
    response = APIClient().get(path)
    assert_no_data(response, (401,))
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("method, path", WRITES)
def test_anonymous_writes_change_nothing(db, seeded, snapshot, method, path):
    before = snapshot()
    response = getattr(APIClient(), method)(path, {"type": "email"}, format="json")
    assert_no_data(response, (401,))
    assert snapshot() == before


@pytest.mark.parametrize("path", READS)
def test_non_staff_user_gets_403(django_user_model, seeded, path):
    user = django_user_model.objects.create_user("joe", password="pw")
    client = APIClient()
    client.force_login(user)
    assert_no_data(client.get(path), (403,))


def test_inactive_staff_user_is_refused(django_user_model, seeded):
    django_user_model.objects.create_user("old", password="pw", is_staff=True, is_active=False)
    response = APIClient().get("/kue/stats", HTTP_AUTHORIZATION=basic("old", "pw"))
    assert_no_data(response)


def test_staff_with_basic_auth(staff, seeded):
    client = APIClient()
    response = client.get("/kue/job/1", HTTP_AUTHORIZATION=basic("staff", "pw"))
    assert response.status_code == 200 and response.json()["data"] == {"title": "secret"}
    response = client.post("/kue/job", {"type": "email"}, format="json",
                           HTTP_AUTHORIZATION=basic("staff", "pw"))
    assert response.status_code == 200  # no CSRF for Basic auth: it is not ambient
    assert_no_data(client.get("/kue/stats", HTTP_AUTHORIZATION=basic("staff", "wrong")), (401,))


def test_session_writes_need_csrf(staff, seeded, snapshot):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get("/kue/stats").status_code == 200  # reads need no token
    before = snapshot()
    for method, path in WRITES:
        response = getattr(client, method)(path, {"type": "email", "priority": 1}, format="json")
        assert response.status_code == 403, (method, path)
        assert "CSRF" in response.json()["error"]
    assert snapshot() == before
    client.get("/admin/")  # the admin's logout form sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/kue/job", {"type": "email"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_permission_setting_opens_the_api(db, seeded, settings):
    settings.KUE = {**settings.KUE,
                    "API_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}
    response = APIClient().get("/kue/stats")
    assert response.status_code == 200 and response.json()["inactiveCount"] == 1


def test_permission_setting_is_read_per_request(django_user_model, seeded, settings):
    user = django_user_model.objects.create_user("joe", password="pw")
    client = APIClient()
    client.force_login(user)
    assert client.get("/kue/stats").status_code == 403
    settings.KUE = {**settings.KUE,
                    "API_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
    assert client.get("/kue/stats").status_code == 200
    assert APIClient().get("/kue/stats").status_code == 401


def test_host_rest_framework_defaults_do_not_leak_in(api, seeded, settings):
    settings.REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
        "EXCEPTION_HANDLER": "rest_framework.views.exception_handler",
    }
    assert APIClient().get("/kue/stats").status_code == 401
    response = api.get("/kue/job/999")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"error": 'job "999" doesnt exist'}
