"""Every bad input to Kue's JSON API: a 4xx with {"error": "..."}, and nothing written."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def job_id(api):
    response = api.post("/kue/job", {"type": "email", "data": {"title": "t"}}, format="json")
    return response.json()["id"]


def raw_post(api, body: bytes | str, content_type="application/json"):
    return api.generic("POST", "/kue/job", body, content_type=content_type)


def assert_refused(response, status, snapshot_before=None, snapshot=None, contains=""):
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str) and body["error"]
    assert contains.lower() in body["error"].lower()
    if snapshot is not None:
        assert snapshot() == snapshot_before, "a refused request changed Redis"


BAD_JOBS = [
    ("{not json", "malformed JSON"),
    ('{"type": "email", "data": NaN}', "malformed JSON"),
    ('{"type": "email", "options": {"delay": Infinity}}', "malformed JSON"),
    ("[" * 5000 + "]" * 5000, "nested"),
    (json.dumps({"type": "e", "data": {"a": [[[[]]]] * 1}}).replace("[[[[]]]]", "[" * 150 + "]" * 150),
     "nested"),
    ('{"data": {"title": "x"}}', "Must provide job type"),
    ('{"type": "", "data": {}}', "Must provide job type"),
    ('{"type": "   "}', "Must provide job type"),
    ('{"type": 5}', "Must provide job type"),
    ('{"type": "bad\\ntype"}', "type"),
    ('{"type": "email", "data": [1, 2]}', "data must be a JSON object"),
    ('{"type": "email", "data": "text"}', "data must be a JSON object"),
    ('{"type": "email", "options": []}', "options must be a JSON object"),
    ('{"type": "email", "options": {"priority": "urgent"}}', "priority"),
    ('{"type": "email", "options": {"priority": 1e300}}', "priority"),
    ('{"type": "email", "options": {"priority": 99999999999}}', "priority"),
    ('{"type": "email", "options": {"delay": -1}}', "delay"),
    ('{"type": "email", "options": {"delay": "soon"}}', "delay"),
    ('{"type": "email", "options": {"attempts": -2}}', "attempts"),
    ('{"type": "email", "options": {"attempts": "\u00b2"}}', "attempts"),  # "²": a digit, no int
    ('{"type": "email", "options": {"delay": "\u00b2"}}', "delay"),
    ('{"type": "email", "options": {"delay": "--5"}}', "delay"),
    ('{"type": "email", "options": {"attempts": "many"}}', "attempts"),
    ('{"type": "email", "options": {"attempts": 0}}', "attempts"),
    ('{"type": "email", "options": {"ttl": -5}}', "ttl"),
    ('{"type": "email", "options": {"ttl": "x"}}', "ttl"),
    ('{"type": "email", "options": {"backoff": {"type": "linear"}}}', "backoff"),
    ('{"type": "email", "options": {"backoff": 5}}', "backoff"),
    ('{"type": "email", "options": {"searchKeys": "title"}}', ""),
    ('{"type": "email", "options": {"searchKeys": [1]}}', "search_keys"),
    ('{"type": "email", "options": {"removeOnComplete": "yes"}}', "remove_on_complete"),
    ('{"type": "email", "options": {"jobEvents": false}}', "unknown option"),
    ('{"type": "email", "options": {"delay": 1, "delay": 2, "search_keys": [], "searchKeys": []}}',
     "twice"),
    ('{"type": "email", "extra": 1}', "unknown key"),
    ('"email"', "job object"),
    ("42", "job object"),
    ("true", "job object"),
]


@pytest.mark.parametrize("body, message", BAD_JOBS)
def test_bad_post_job_is_a_400_and_writes_nothing(api, snapshot, body, message):
    before = snapshot()
    response = raw_post(api, body)
    if body == '{"type": "email", "options": {"searchKeys": "title"}}':
        # Kue took a single search key as a string; so do we
        assert response.status_code == 200
        return
    assert_refused(response, 400, before, snapshot, message)


def test_form_encoded_body_is_415(api, snapshot):
    before = snapshot()
    response = raw_post(api, "type=email", content_type="application/x-www-form-urlencoded")
    assert_refused(response, 415, before, snapshot)


def test_body_over_the_limit_is_413(api, snapshot, settings):
    settings.KUE = {**settings.KUE, "API_MAX_BODY": 1000}
    before = snapshot()
    response = raw_post(api, json.dumps({"type": "email", "data": {"x": "a" * 2000}}))
    assert_refused(response, 413, before, snapshot, "API_MAX_BODY")


def test_default_body_limit_is_one_mib(api, snapshot):
    before = snapshot()
    response = raw_post(api, json.dumps({"type": "email", "data": {"x": "a" * (1024 * 1024)}}))
    assert_refused(response, 413, before, snapshot)


def test_data_over_max_payload_is_413(api, snapshot, settings):
    settings.KUE = {**settings.KUE, "MAX_PAYLOAD": 100}
    before = snapshot()
    response = raw_post(api, json.dumps({"type": "email", "data": {"x": "a" * 200}}))
    assert_refused(response, 413, before, snapshot, "limit")


def test_bulk_over_the_count_limit_is_413_and_creates_nothing(api, snapshot, settings):
    settings.KUE = {**settings.KUE, "API_MAX_BULK": 3}
    before = snapshot()
    response = api.post("/kue/job", [{"type": "email"}] * 4, format="json")
    assert_refused(response, 413, before, snapshot, "API_MAX_BULK")
    assert api.post("/kue/job", [{"type": "email"}] * 3, format="json").status_code == 200


def test_bulk_of_only_bad_elements_writes_nothing(api, snapshot):
    before = snapshot()
    response = api.post("/kue/job", [{"type": ""}, 5, {"type": "e", "data": 1}], format="json")
    assert response.status_code == 400
    assert all(list(item) == ["error"] for item in response.json())
    assert snapshot() == before


def test_registered_types_only_refuses_unknown_types(api, snapshot, settings):
    settings.KUE = {**settings.KUE, "API_REGISTERED_TYPES_ONLY": True}
    before = snapshot()
    assert_refused(api.post("/kue/job", {"type": "nosuchtype"}, format="json"), 400, before,
                   snapshot, "registered")
    assert api.post("/kue/job", {"type": "email"}, format="json").status_code == 200  # demo


@pytest.mark.parametrize("path, status, message", [
    ("/kue/job/abc", 400, "invalid job id"),
    ("/kue/job/-3", 400, "invalid job id"),
    ("/kue/job/0", 400, "invalid job id"),
    ("/kue/job/1.5", 400, "invalid job id"),
    ("/kue/job/99999999999999999999", 400, "invalid job id"),
    ("/kue/job/999", 404, 'job "999" doesnt exist'),
    ("/kue/job/999/log", 404, "doesnt exist"),
    ("/kue/job/abc/log", 400, "invalid job id"),
    ("/kue/jobs/a..b", 400, "invalid range"),
    ("/kue/jobs/5..2", 400, "invalid range"),
    ("/kue/jobs/0..100000", 400, "invalid range"),
    ("/kue/jobs/0..9999999999999999999", 400, "invalid range"),
    ("/kue/jobs/..", 400, "invalid range"),
    ("/kue/jobs/0..3/sideways", 400, "order"),
    ("/kue/jobs/running/0..3", 400, "unknown state"),
    ("/kue/jobs/email/running/0..3", 400, "unknown state"),
    ("/kue/jobs/email/running/stats", 400, "unknown state"),
    ("/kue/jobs/inactive/3..1/desc", 400, "invalid range"),
    ("/kue/jobs", 404, "no such route"),
    ("/kue/jobs/whatever", 404, "no such route"),
    ("/kue/job/1/nothing", 404, "no such route"),
])
def test_bad_reads(api, snapshot, job_id, path, status, message):
    before = snapshot()
    assert_refused(api.get(path), status, before, snapshot, message)


@pytest.mark.parametrize("method, path, status, message", [
    ("put", "/kue/job/{id}/state/active", 400, "worker"),
    ("put", "/kue/job/{id}/state/running", 400, "unknown state"),
    ("put", "/kue/job/999/state/failed", 404, "doesnt exist"),
    ("put", "/kue/job/abc/state/failed", 400, "invalid job id"),
    ("put", "/kue/job/{id}/priority/urgent", 400, "priority"),
    ("put", "/kue/job/{id}/priority/1.5", 400, "priority"),
    ("put", "/kue/job/{id}/priority/99999999999999", 400, "priority"),
    ("put", "/kue/job/999/priority/high", 404, "doesnt exist"),
    ("delete", "/kue/job/999", 404, "doesnt exist"),
    ("delete", "/kue/job/x", 400, "invalid job id"),
    ("get", "/kue/job", 405, "not allowed"),
    ("put", "/kue/job/{id}", 405, "not allowed"),
    ("post", "/kue/stats", 405, "not allowed"),
    ("get", "/kue/inactive/{id}", None, None),  # Kue's GET /inactive/:id is dropped
])
def test_bad_writes(api, snapshot, job_id, method, path, status, message):
    before = snapshot()
    response = getattr(api, method)(path.format(id=job_id))
    if status is None:
        assert response.status_code == 404
        assert snapshot() == before
        return
    assert_refused(response, status, before, snapshot, message)


def test_redis_down_is_503(api, settings):
    settings.KUE = {**settings.KUE, "REDIS_URL": "redis://127.0.0.1:1/0",
                    "CONNECTION_OPTIONS": {"socket_connect_timeout": 0.5}}
    response = api.get("/kue/stats")
    assert response.status_code == 503
    assert "Redis" in response.json()["error"]


def test_the_snapshot_sees_every_kind_of_write(api, snapshot, job_id):
    """The 'writes nothing' checks above could fail: each change below shows in a snapshot."""
    writes = [lambda: api.put(f"/kue/job/{job_id}/priority/5"),
              lambda: api.put(f"/kue/job/{job_id}/state/failed"),
              lambda: api.post("/kue/job", {"type": "other"}, format="json"),
              lambda: api.delete(f"/kue/job/{job_id}")]
    for write in writes:
        before = snapshot()
        assert write().status_code == 200
        assert snapshot() != before
