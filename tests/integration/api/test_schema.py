"""The OpenAPI schema (/kue/api/schema/) describes the beyond-Kue routes (/kue/workers,
/kue/metrics, /kue/periodic) beside the REST API, and what every described route really
answers validates against the shape the schema gives it, on real Redis."""

from __future__ import annotations

import threading

import jsonschema
import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from django_kue.connection import get_queue
from tests.helpers import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db]
TOKEN = "s3cret-scraper-token-0123"


@pytest.fixture
def schema(api):
    body = api.get(reverse("django_kue:api-schema")).json()
    validate_schema(body)
    return body


def as_json_schema(node, components):
    """An OpenAPI 3.0 schema object as JSON Schema: $refs inlined, ``nullable`` as a null
    alternative, and objects closed (a key the schema does not document is an error)."""
    if isinstance(node, list):
        return [as_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return as_json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    out = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: as_json_schema(v, components) for name, v in value.items()}
        elif key not in ("nullable", "description", "example", "examples", "readOnly"):
            out[key] = as_json_schema(value, components)
    if "properties" in out:
        out.setdefault("additionalProperties", False)
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


def documented(schema, path, method="get", status=200, media="application/json"):
    response = schema["paths"][path][method]["responses"][str(status)]
    return as_json_schema(response["content"][media]["schema"], schema["components"]["schemas"])


def check(schema, path, response, method="get", media="application/json"):
    """The response's status, media type and body are what the schema says for the route."""
    content = schema["paths"][path][method]["responses"][str(response.status_code)]["content"]
    assert response["Content-Type"].split(";")[0] == media and media in content
    body = response.json() if media == "application/json" else response.content.decode()
    jsonschema.validate(body, documented(schema, path, method, response.status_code, media))
    return body


def properties(schema, name):
    component = schema["components"]["schemas"][name]
    return ({key: (value.get("type"), value.get("nullable", False))
             for key, value in component["properties"].items()}, set(component["required"]))


def test_the_schema_lists_the_beyond_kue_routes_with_their_shapes(schema):
    paths = schema["paths"]
    assert {"/kue/workers", "/kue/metrics", "/kue/periodic"} <= set(paths)
    assert "/kue/stats" not in paths and "/kue/job/{job_id}" not in paths  # Kue's own: README
    workers = paths["/kue/workers"]["get"]["responses"]["200"]["content"]["application/json"]
    assert workers["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/Worker"}}
    fields, required = properties(schema, "Worker")
    assert fields == {"id": ("string", False), "host": ("string", False),
                      "pid": ("integer", False), "types": ("object", False),
                      "active": ("integer", False), "jobs": ("array", False),
                      "processed": ("integer", False), "heartbeat_at": ("integer", False),
                      "started_at": ("integer", False), "heartbeat_age_ms": ("integer", False)}
    assert required == set(fields)
    component = schema["components"]["schemas"]["Worker"]["properties"]
    assert component["types"]["additionalProperties"] == {"type": "integer"}
    assert component["jobs"]["items"] == {"type": "integer"}

    periodic = paths["/kue/periodic"]["get"]["responses"]["200"]["content"]["application/json"]
    assert periodic["schema"]["items"] == {"$ref": "#/components/schemas/PeriodicSchedule"}
    fields, required = properties(schema, "PeriodicSchedule")
    assert fields == {"name": ("string", False), "type": ("string", False),
                      "cron": ("string", True), "every": ("integer", True),
                      "next_run": ("string", True), "last_run": ("string", True)}
    assert required == set(fields)

    metrics = paths["/kue/metrics"]["get"]
    assert metrics["responses"]["200"]["content"].keys() == {"text/plain"}
    assert metrics["responses"]["200"]["content"]["text/plain"]["schema"] == {"type": "string"}
    assert {"metricsToken": []} in metrics["security"] and {"basicAuth": []} in metrics["security"]
    assert schema["components"]["securitySchemes"]["metricsToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "KUE['METRICS_TOKEN'], when set; opens /metrics only"}
    assert {"metricsToken": []} not in paths["/kue/workers"]["get"]["security"]


def test_operation_ids_and_tags(schema):
    """The REST routes keep their names now that the schema spans more than /api/."""
    found = {(path, method): (op["operationId"], op["tags"])
             for path, methods in schema["paths"].items() for method, op in methods.items()}
    assert found[("/kue/api/jobs/", "get")] == ("jobs_list", ["jobs"])
    assert found[("/kue/api/stats/", "get")] == ("stats_retrieve", ["stats"])
    assert found[("/kue/workers", "get")] == ("workers_list", ["workers"])
    assert found[("/kue/periodic", "get")] == ("periodic_list", ["periodic"])
    assert found[("/kue/metrics", "get")] == ("metrics_retrieve", ["metrics"])
    ids = [op for op, _tags in found.values()]
    assert len(ids) == len(set(ids))


def test_workers_response_validates(api, schema, worker_on, settings):
    settings.KUE = {**settings.KUE, "LEASE": 600}  # a heartbeat every 200 ms
    queue = get_queue()
    assert check(schema, "/kue/workers", api.get("/kue/workers")) == []
    release = threading.Event()
    job = queue.create("email").save()
    worker_on(queue, {"email": lambda job: release.wait(10)}, concurrency=2)
    try:
        wait_until(lambda: api.get("/kue/workers").json() and
                   api.get("/kue/workers").json()[0]["jobs"] == [job.id])
        [record] = check(schema, "/kue/workers", api.get("/kue/workers"))
        assert record["types"] == {"email": 2} and record["active"] == 1
    finally:
        release.set()


def test_periodic_response_validates(api, schema, redis_queue, settings):
    from django_kue import periodic
    from django_kue.core.periodic import Scheduler

    settings.KUE = {**settings.KUE, "PERIODIC": {
        "beat": {"type": "tick", "every": 60_000}, "nightly": {"type": "r", "cron": "0 3 * * *"}}}
    body = check(schema, "/kue/periodic", api.get("/kue/periodic"))
    assert {s["name"]: s["last_run"] for s in body} == {"beat": None, "nightly": None}
    Scheduler(redis_queue, periodic.schedules()).run_due()
    body = check(schema, "/kue/periodic", api.get("/kue/periodic"))
    assert {s["name"]: s for s in body}["beat"]["last_run"] is not None


def test_metrics_response_validates_with_staff_and_with_the_token(api, schema, redis_queue,
                                                                   settings):
    redis_queue.create("email").save()
    text = check(schema, "/kue/metrics", api.get("/kue/metrics"), media="text/plain")
    assert 'kue_jobs{type="email",state="inactive"} 1' in text
    settings.KUE = {**settings.KUE, "METRICS_TOKEN": TOKEN}
    scraper = APIClient().get("/kue/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert check(schema, "/kue/metrics", scraper, media="text/plain") == text


def test_a_shape_mismatch_is_caught(schema):
    """The validation above is not vacuous: an undocumented key or a wrong type fails it."""
    record = {"id": "kue:h:1", "host": "h", "pid": 1, "types": {"email": 2}, "active": 0,
              "jobs": [], "processed": 0, "heartbeat_at": 1, "started_at": 1,
              "heartbeat_age_ms": 0}
    shape = documented(schema, "/kue/workers")
    jsonschema.validate([record], shape)
    for bad in ({**record, "extra": 1}, {**record, "pid": "1"}, {**record, "types": {"e": "x"}},
                {k: v for k, v in record.items() if k != "host"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([bad], shape)
    schedule = {"name": "n", "type": "t", "cron": None, "every": 1000, "next_run": "1",
                "last_run": None}
    jsonschema.validate([schedule], documented(schema, "/kue/periodic"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**schedule, "next_run": 1}], documented(schema, "/kue/periodic"))


@pytest.mark.parametrize("path, url", [
    ("/kue/api/jobs/", "/kue/api/jobs/?limit=2"), ("/kue/api/jobs/{id}/", "/kue/api/jobs/1/"),
    ("/kue/api/stats/", "/kue/api/stats/"), ("/kue/api/types/", "/kue/api/types/")])
def test_rest_responses_validate_too(api, schema, redis_queue, path, url):
    for n in range(3):
        redis_queue.create("email", {"title": f"job {n}"}).save()
    check(schema, path, api.get(url))
