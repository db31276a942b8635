"""Kue's JSON API on real Redis: every route, bodies compared with Kue's formats.

The expected bodies are Kue's README examples (and shared/KUE.md 2.3 for the job JSON): the
same keys in the same order, ids and timestamps as Kue sends them.
"""

from __future__ import annotations

import json

import pytest

from django_kue.core import HandlerSpec, Worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

# Kue's README, "POST /job"
README_JOB = {"type": "email",
              "data": {"title": "welcome email for tj", "to": "tj@learnboost.com",
                       "template": "welcome-email"},
              "options": {"attempts": 5, "priority": "high"}}
README_FOLLOWUP = {"type": "email",
                   "data": {"title": "followup email for tj", "to": "tj@learnboost.com",
                            "template": "followup-email"},
                   "options": {"delay": 86400, "attempts": 5, "priority": "high"}}
# Kue's README, "GET /job/:id" (its "attempts": null predates Kue's {made, remaining, max})
README_GET_JOB = json.loads(
    '{"id":"3","type":"email","data":{"title":"welcome email for tj","to":"tj@learnboost.com",'
    '"template":"welcome-email"},"priority":-10,"progress":"100","state":"complete",'
    '"attempts":null,"created_at":"1309973155248","updated_at":"1309973155248","duration":"15002"}')
# Kue's README, "GET /stats"
README_STATS = json.loads('{"inactiveCount":0,"completeCount":0,"activeCount":0,"failedCount":0,'
                          '"delayedCount":7,"workTime":null}')
# Kue's job JSON key order (job.toJSON)
KUE_ORDER = ["id", "type", "data", "result", "priority", "progress", "progress_data", "state",
             "error", "created_at", "promote_at", "updated_at", "failed_at", "started_at",
             "duration", "delay", "workerId", "ttl", "attempts"]


def post(api, body):
    return api.post("/kue/job", body, format="json")


def run_all(queue, handlers):
    """A burst worker in this thread: runs every queued job of these types, then returns."""
    specs = [HandlerSpec(t, fn) for t, fn in handlers.items()]
    return Worker(queue, specs, burst=True, idle_wait=50).run()


def assert_kue_order(body):
    keys = list(body)
    assert keys == [k for k in KUE_ORDER if k in body], keys


def test_post_job_readme_example(api, redis_queue):
    response = post(api, README_JOB)
    assert response.status_code == 200
    assert response.json() == {"message": "job created", "id": 1}
    job = redis_queue.get_job(1)
    assert (job.type, job.data, job.priority, job.max_attempts) == (
        "email", README_JOB["data"], -10, 5)


def test_post_job_bulk_readme_example_keeps_order(api, redis_queue):
    response = post(api, [README_JOB, README_FOLLOWUP])
    assert response.status_code == 200
    assert response.json() == [{"message": "job created", "id": 1},
                               {"message": "job created", "id": 2}]
    assert redis_queue.get_job(2).state == "delayed"
    assert redis_queue.get_job(2).delay == 86400


def test_post_job_takes_every_kue_option(api, redis_queue):
    response = post(api, {"type": "video", "data": {"title": "t", "file": "a.avi"},
                          "options": {"attempts": "3", "priority": 7, "delay": 1000, "ttl": 5000,
                                      "backoff": {"type": "exponential", "delay": 200},
                                      "searchKeys": ["file"], "removeOnComplete": True}})
    assert response.status_code == 200, response.json()
    job = redis_queue.get_job(response.json()["id"])
    assert (job.max_attempts, job.priority, job.delay, job.ttl) == (3, 7, 1000, 5000)
    assert job.backoff == {"type": "exponential", "delay": 200}
    assert job.search_keys == ("file",) and job.remove_on_complete is True


def test_post_job_without_data_or_options(api, redis_queue):
    response = post(api, {"type": "noop"})
    assert response.status_code == 200
    assert redis_queue.get_job(response.json()["id"]).data == {}


@pytest.mark.parametrize("body", ["{}", "[]", "null", ""])
def test_post_empty_body_is_kues_204(api, redis_queue, body, snapshot):
    before = snapshot()
    response = api.generic("POST", "/kue/job", body, content_type="application/json")
    assert response.status_code == 204 and response.content == b""
    assert snapshot() == before


def test_bulk_bad_element_gets_an_error_and_the_rest_are_created(api, redis_queue):
    response = post(api, [README_JOB, {"data": {}}, {"type": "email", "data": [1]}, README_FOLLOWUP])
    assert response.status_code == 400  # Kue's status: the first failed element's
    body = response.json()
    assert body[0] == {"message": "job created", "id": 1}
    assert body[1] == {"error": "Must provide job type"}
    assert set(body[2]) == {"error"} and "object" in body[2]["error"]
    assert body[3] == {"message": "job created", "id": 2}
    assert redis_queue.counts()["inactive"] == 1 and redis_queue.counts()["delayed"] == 1


def test_get_job_after_a_worker_completed_it(api, redis_queue):
    post(api, [{"type": "noop"}, {"type": "noop"}, README_JOB])  # README's job is id 3

    def handler(job):
        job.log("sending to %s", job.data["to"])
        job.progress(1, 1)
        return {"sent": True}

    assert run_all(redis_queue, {"email": handler}) == 1
    response = api.get("/kue/job/3")
    assert response.status_code == 200
    body = response.json()
    assert_kue_order(body)
    # the README's fields, value for value where they do not depend on time
    assert {k: body[k] for k in ("id", "type", "data", "priority", "progress", "state")} == {
        k: README_GET_JOB[k] for k in ("id", "type", "data", "priority", "progress", "state")}
    assert body["id"] == "3" and body["result"] == {"sent": True}
    for name in ("created_at", "promote_at", "updated_at", "started_at", "duration"):
        assert isinstance(body[name], str) and body[name].isdigit(), name
    assert int(body["updated_at"]) >= int(body["started_at"]) >= int(body["created_at"])
    assert body["workerId"] and isinstance(body["workerId"], str)
    assert body["attempts"] == {"made": 1, "remaining": 4, "max": 5}
    assert "error" not in body and "delay" not in body and "ttl" not in body


def test_get_job_failed_carries_the_stack_as_error(api, redis_queue):
    post(api, {"type": "email", "data": {}})

    def handler(job):
        raise ValueError("smtp down")

    run_all(redis_queue, {"email": handler})
    body = api.get("/kue/job/1").json()
    assert body["state"] == "failed"
    assert "Traceback" in body["error"] and "ValueError: smtp down" in body["error"]
    assert body["failed_at"].isdigit()
    assert body["attempts"] == {"made": 1, "remaining": 0, "max": 1}
    assert_kue_order(body)


def test_get_job_of_a_new_job_has_progress_number_zero_and_delay_ttl_strings(api, redis_queue):
    post(api, {"type": "video", "data": {"title": "x"}, "options": {"delay": 5000, "ttl": 100}})
    body = api.get("/kue/job/1").json()
    assert body["progress"] == 0  # Kue: the number 0 until progress is set
    assert body["delay"] == "5000" and body["ttl"] == "100"
    assert body["state"] == "delayed"
    assert int(body["promote_at"]) == int(body["created_at"]) + 5000
    assert body["attempts"] == {"made": 0, "remaining": 1, "max": 1}
    assert_kue_order(body)


def test_get_job_log(api, redis_queue):
    post(api, README_JOB)
    run_all(redis_queue, {"email": lambda job: [job.log("foo"), job.log("bar"), job.log("baz")]})
    response = api.get("/kue/job/1/log")
    assert response.status_code == 200
    assert response.json() == ["foo", "bar", "baz"]  # Kue's README: ['foo', 'bar', 'baz']


def test_stats_readme_shape(api, redis_queue):
    body = api.get("/kue/stats").json()
    assert list(body) == list(README_STATS)
    assert body == {**README_STATS, "delayedCount": 0}
    post(api, [README_JOB, README_JOB, README_FOLLOWUP])
    run_all(redis_queue, {"email": lambda job: None})
    body = api.get("/kue/stats").json()
    assert (body["completeCount"], body["delayedCount"], body["inactiveCount"]) == (2, 1, 0)
    assert isinstance(body["workTime"], int) and body["workTime"] >= 0


def test_search_returns_id_strings(api, redis_queue):
    assert redis_queue.config.search  # the test project turns Kue's search on
    post(api, [{"type": "video", "data": {"title": "avi video"}, "options": {"searchKeys": ["title"]}},
               {"type": "video", "data": {"title": "mp4 video"}, "options": {"searchKeys": ["title"]}},
               {"type": "video", "data": {"title": "avi video"}, "options": {"searchKeys": ["title"]}}])
    response = api.get("/kue/job/search", {"q": "avi video"})
    assert response.status_code == 200
    assert sorted(response.json()) == ["1", "3"]
    assert api.get("/kue/job/search").json() == []


def test_search_off_is_a_clear_400(api, redis_queue, settings):
    settings.KUE = {**settings.KUE, "SEARCH": False}
    response = api.get("/kue/job/search", {"q": "x"})
    assert response.status_code == 400 and "SEARCH" in response.json()["error"]


def test_types(api, redis_queue):
    post(api, [{"type": "video"}, {"type": "email"}, {"type": "video"}])
    assert api.get("/kue/job/types").json() == ["email", "video"]


def _seed(api):
    post(api, [{"type": "email", "data": {"n": 1}}, {"type": "video", "data": {"n": 2}},
               {"type": "email", "data": {"n": 3}, "options": {"priority": "high"}},
               {"type": "email", "data": {"n": 4}, "options": {"delay": 60_000}}])


def test_range_over_all_jobs_numbers_ids_and_orders(api, redis_queue):
    _seed(api)
    body = api.get("/kue/jobs/0..2").json()
    assert [job["id"] for job in body] == [1, 2, 3]  # numbers from range routes
    assert all(list(job) == [k for k in KUE_ORDER if k in job] for job in body)
    assert [job["id"] for job in api.get("/kue/jobs/0..1/desc").json()] == [4, 3]
    assert [job["id"] for job in api.get("/kue/jobs/0..-1/asc").json()] == [1, 2, 3, 4]
    assert api.get("/kue/jobs/10..20").json() == []


def test_range_by_state(api, redis_queue):
    _seed(api)
    # inactive: in the order they will run (priority, then FIFO)
    assert [j["id"] for j in api.get("/kue/jobs/inactive/0..10").json()] == [3, 1, 2]
    assert [j["id"] for j in api.get("/kue/jobs/inactive/0..0/desc").json()] == [2]
    assert [j["id"] for j in api.get("/kue/jobs/delayed/0..10").json()] == [4]
    assert api.get("/kue/jobs/complete/0..10").json() == []


def test_range_by_type_and_type_stats(api, redis_queue):
    _seed(api)
    body = api.get("/kue/jobs/email/inactive/0..10/asc").json()
    assert [j["id"] for j in body] == [3, 1]
    assert {j["type"] for j in body} == {"email"}
    assert api.get("/kue/jobs/email/inactive/stats").json() == {"count": 2}
    assert api.get("/kue/jobs/video/delayed/stats").json() == {"count": 0}
    assert api.get("/kue/jobs/nosuchtype/inactive/stats").json() == {"count": 0}


def test_delete_job(api, redis_queue):
    post(api, README_JOB)
    response = api.delete("/kue/job/1")
    assert response.status_code == 200
    assert response.json() == {"message": "job 1 removed"}  # Kue's README
    assert api.get("/kue/job/1").status_code == 404
    assert redis_queue.counts()["inactive"] == 0


def test_put_state(api, redis_queue):
    post(api, README_JOB)
    response = api.put("/kue/job/1/state/failed")
    assert response.status_code == 200 and response.json() == {"message": "updated state"}
    assert redis_queue.get_job(1).state == "failed"
    assert api.put("/kue/job/1/state/inactive").json() == {"message": "updated state"}
    assert redis_queue.ids_by_state("inactive") == [1]


def test_put_priority_reorders_a_queued_job(api, redis_queue):
    post(api, [{"type": "email"}, {"type": "email"}])
    response = api.put("/kue/job/2/priority/-15")
    assert response.status_code == 200 and response.json() == {"message": "updated priority"}
    assert redis_queue.ids_by_state("inactive") == [2, 1]
    assert api.put("/kue/job/1/priority/critical").status_code == 200  # names too
    assert redis_queue.get_job(1).priority == -15


def test_trailing_slash_is_optional(api, redis_queue):
    assert api.get("/kue/stats/").status_code == 200
    assert api.get("/kue/jobs/0..1/").status_code == 200


def test_urls_reverse_in_the_app_namespace(api, redis_queue):
    from django.urls import reverse

    assert reverse("django_kue:kue-stats") == "/kue/stats"
    assert reverse("django_kue:kue-job", args=[7]) == "/kue/job/7"


def test_answers_json_whatever_the_accept_header(api, redis_queue):
    for accept in ("text/html", "application/xml", "*/*", "application/json"):
        response = api.get("/kue/stats", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_a_type_with_dots_is_routed_by_segment_count(api, redis_queue):
    post(api, {"type": "v1..v2"})
    assert [j["id"] for j in api.get("/kue/jobs/v1..v2/inactive/0..3").json()] == [1]
    assert api.get("/kue/jobs/v1..v2/inactive/stats").json() == {"count": 1}
