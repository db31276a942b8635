"""The REST API beside Kue's: /kue/api/jobs/ (filters, cursor pages, create, retrieve, delete,
retry, priority), /kue/api/stats/, /kue/api/types/ and the OpenAPI schema, on real Redis."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse
from drf_spectacular.validation import validate_schema

from django_kue.core import HandlerSpec, Worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

JOBS = reverse("django_kue:job-list")


def detail(job_id, name="job-detail"):
    return reverse(f"django_kue:{name}", args=[job_id])


def test_create_and_retrieve(api, redis_queue):
    response = api.post(JOBS, {"type": "email", "data": {"to": "a@b.c"}, "priority": "high",
                               "attempts": 3, "delay": 1000, "ttl": 500,
                               "backoff": {"type": "fixed", "delay": 10},
                               "search_keys": ["to"], "remove_on_complete": True}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == 1 and body["state"] == "delayed" and body["priority"] == -10
    assert body["attempts"] == {"made": 0, "remaining": 3, "max": 3}
    assert (body["delay"], body["ttl"], body["remove_on_complete"]) == (1000, 500, True)
    assert body["backoff"] == {"type": "fixed", "delay": 10} and body["search_keys"] == ["to"]
    assert isinstance(body["created_at"], int)
    assert api.get(detail(1)).json() == body
    assert redis_queue.get_job(1).data == {"to": "a@b.c"}


@pytest.mark.parametrize("payload, message", [
    ({"data": {}}, "type"),
    ({"type": ""}, "type"),
    ({"type": "e", "data": [1]}, "data"),
    ({"type": "e", "priority": "urgent"}, "priority"),
    ({"type": "e", "attempts": 0}, "attempts"),
    ({"type": "e", "delay": -1}, "delay"),
    ({"type": "e", "ttl": "x"}, "ttl"),
    ({"type": "e", "backoff": {"type": "linear"}}, "backoff"),
])
def test_create_refuses_bad_input_and_writes_nothing(api, snapshot, payload, message):
    before = snapshot()
    response = api.post(JOBS, payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert snapshot() == before


def _make(queue, n, **options):
    return [queue.create("email" if i % 2 else "video", {"n": i}, **options).save().id
            for i in range(n)]


def test_list_newest_first_with_cursor_pages(api, redis_queue):
    ids = _make(redis_queue, 7)
    first = api.get(JOBS, {"limit": 3}).json()
    assert [j["id"] for j in first["results"]] == ids[::-1][:3]
    # a job arriving between pages does not shift them
    redis_queue.create("email").save()
    second = api.get(first["next"]).json()
    assert [j["id"] for j in second["results"]] == ids[::-1][3:6]
    third = api.get(second["next"]).json()
    assert [j["id"] for j in third["results"]] == ids[:1] and third["next"] is None


def test_list_filters_by_state_and_type(api, redis_queue):
    ids = _make(redis_queue, 6)
    redis_queue.set_state(ids[0], "failed")
    body = api.get(JOBS, {"state": "failed"}).json()
    assert [j["id"] for j in body["results"]] == [ids[0]]
    body = api.get(JOBS, {"state": "inactive", "type": "email", "order": "asc"}).json()
    assert [j["id"] for j in body["results"]] == [ids[1], ids[3], ids[5]]
    assert {j["type"] for j in body["results"]} == {"email"}


@pytest.mark.parametrize("params, message", [
    ({"state": "running"}, "unknown state"),
    ({"type": "email"}, "needs a state"),
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"limit": "100000"}, "limit"),
    ({"limit": "²"}, "limit"),  # a digit to str.isdigit, not to int()
    ({"order": "up"}, "order"),
    ({"cursor": "garbage!"}, "cursor"),
    ({"cursor": "WzEsIC0xXQ"}, "cursor"),  # [1, -1]
])
def test_list_refuses_bad_parameters(api, redis_queue, params, message):
    response = api.get(JOBS, params)
    assert response.status_code == 400 and message in response.json()["error"]


def test_delete(api, redis_queue):
    _make(redis_queue, 1)
    assert api.delete(detail(1)).status_code == 204
    assert api.get(detail(1)).status_code == 404
    assert api.delete(detail(1)).status_code == 404
    assert api.get(detail("x")).status_code == 400


def test_retry_a_failed_job(api, redis_queue):
    redis_queue.create("email").save()
    Worker(redis_queue, [HandlerSpec("email", lambda job: 1 / 0)], burst=True, idle_wait=50).run()
    assert redis_queue.get_job(1).state == "failed"
    response = api.post(detail(1, "job-retry"))
    assert response.status_code == 200 and response.json()["state"] == "inactive"
    assert redis_queue.ids_by_state("inactive") == [1]
    response = api.post(detail(1, "job-retry"))  # already queued
    assert response.status_code == 409 and "inactive" in response.json()["error"]
    assert api.post(detail(99, "job-retry")).status_code == 404


def test_priority_action(api, redis_queue):
    _make(redis_queue, 2)
    response = api.post(detail(2, "job-priority"), {"priority": "critical"}, format="json")
    assert response.status_code == 200 and response.json()["priority"] == -15
    assert redis_queue.ids_by_state("inactive") == [2, 1]
    assert api.post(detail(2, "job-priority"), {"priority": "x"}, format="json").status_code == 400
    assert api.post(detail(2, "job-priority"), {}, format="json").status_code == 400
    assert api.post(detail(9, "job-priority"), {"priority": 1}, format="json").status_code == 404


def test_stats_and_types(api, redis_queue):
    _make(redis_queue, 3)
    body = api.get(reverse("django_kue:api-stats")).json()
    assert body == {"counts": {"inactive": 3, "delayed": 0, "active": 0, "complete": 0,
                               "failed": 0}, "work_time": None}
    assert api.get(reverse("django_kue:api-stats"), {"type": "email"}).json()["counts"]["inactive"] == 1
    types = api.get(reverse("django_kue:api-types")).json()
    assert [t["type"] for t in types] == ["email", "video"]
    assert types[1]["counts"]["inactive"] == 2


def test_openapi_schema(api, redis_queue):
    response = api.get(reverse("django_kue:api-schema"))
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # against the OpenAPI 3 JSON schema
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/kue/api/jobs/", "/kue/api/jobs/{id}/",
                                    "/kue/api/jobs/{id}/retry/", "/kue/api/jobs/{id}/priority/",
                                    "/kue/api/jobs/{id}/cancel/",
                                    "/kue/api/stats/", "/kue/api/types/",
                                    # beyond Kue (test_schema.py checks their shapes)
                                    "/kue/workers", "/kue/metrics", "/kue/periodic"}
    listing = schema["paths"]["/kue/api/jobs/"]["get"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/JobPage"}  # one page object, not an array
    assert {p["name"] for p in listing["parameters"]} >= {"state", "type", "cursor", "limit"}
    assert "JobCreate" in schema["components"]["schemas"]
    as_yaml = api.get(reverse("django_kue:api-schema"), {"format": "yaml"})
    assert yaml.safe_load(as_yaml.content)["paths"].keys() == schema["paths"].keys()


def test_api_root_lists_the_jobs_route(api, redis_queue):
    body = api.get(reverse("django_kue:api-root")).json()
    assert body["jobs"].endswith("/kue/api/jobs/")
