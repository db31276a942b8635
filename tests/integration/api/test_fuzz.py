"""Property: no request, however malformed, gets a 5xx; every error is {"error": "..."}; and a
refused request (other than a bulk POST, which creates its good elements) writes nothing.

Hypothesis builds paths from Kue's route words, numbers, ranges and random text, and bodies
from job-shaped objects with random option values, random JSON and random bytes.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

WORDS = ["job", "jobs", "stats", "search", "types", "log", "state", "priority", "inactive",
         "active", "failed", "complete", "delayed", "email", "asc", "desc", "api", "retry",
         "schema", "1", "2", "3", "0", "-1", "999", "0..3", "3..0", "-5..-1", "0..-1", "a..b",
         "..", "1e3", "high", "critical", "", " "]
segment = st.one_of(st.sampled_from(WORDS),
                    st.text(min_size=1, max_size=12).map(lambda s: quote(s, safe="")),
                    st.integers(-2**64, 2**64).map(str))
path = st.lists(segment, min_size=1, max_size=5).map(lambda parts: "/kue/" + "/".join(parts))
ROUTES = [("post", "/kue/job"), ("get", "/kue/job/{}"), ("delete", "/kue/job/{}"),
          ("get", "/kue/job/{}/log"), ("put", "/kue/job/{}/state/{}"),
          ("put", "/kue/job/{}/priority/{}"), ("get", "/kue/jobs/{}/{}"),
          ("get", "/kue/jobs/{}/{}/{}"), ("get", "/kue/jobs/{}/{}/{}/{}"),
          ("get", "/kue/jobs/{}/{}/stats"), ("get", "/kue/stats"), ("get", "/kue/job/types"),
          ("get", "/kue/job/search"), ("post", "/kue/api/jobs/"), ("get", "/kue/api/jobs/{}/"),
          ("post", "/kue/api/jobs/{}/priority/"), ("post", "/kue/api/jobs/{}/retry/")]
route = st.tuples(st.sampled_from(ROUTES), st.lists(segment, min_size=4, max_size=4)).map(
    lambda r: (r[0][0], r[0][1].format(*r[1])))
rest_path = st.one_of(
    st.sampled_from(["/kue/api/jobs/", "/kue/api/stats/", "/kue/api/types/", "/kue/api/"]),
    st.tuples(segment, st.sampled_from(["", "retry/", "priority/"])).map(
        lambda t: f"/kue/api/jobs/{t[0]}/{t[1]}"),
)

json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                      children, max_size=4),
    max_leaves=12,
)
option_value = st.one_of(json_value, st.sampled_from(["high", "low", "5", "-1", "x", "1e9"]))
options = st.dictionaries(
    st.sampled_from(["attempts", "priority", "delay", "ttl", "backoff", "searchKeys",
                     "removeOnComplete", "search_keys", "remove_on_complete", "other"]),
    option_value, max_size=5)
job = st.fixed_dictionaries({}, optional={
    "type": st.one_of(st.sampled_from(["email", "video", ""]), st.text(max_size=30), json_value),
    "data": st.one_of(st.dictionaries(st.text(max_size=8), json_value, max_size=3), json_value),
    "options": st.one_of(options, json_value),
    "priority": option_value, "attempts": option_value, "delay": option_value,
    "state": st.sampled_from(["failed", "x"]),
})
good_job = st.fixed_dictionaries(
    {"type": st.sampled_from(["email", "video"]),
     "data": st.dictionaries(st.text(max_size=8), json_value, max_size=3)},
    optional={"options": options, "priority": option_value})
body = st.one_of(
    st.none(),
    good_job.map(json.dumps),
    st.lists(st.one_of(good_job, job), max_size=4).map(json.dumps),
    job.map(json.dumps),
    st.lists(job, max_size=4).map(json.dumps),
    json_value.map(json.dumps),
    st.binary(max_size=40),
    st.sampled_from(["{", "[1,", "NaN", '{"type": "e", "data": {"a": Infinity}}', "\udcff"]),
)
query = st.one_of(st.none(), st.sampled_from(["q=avi", "q=", "state=failed", "type=email",
                                             "limit=2", "cursor=abc", "order=up"]),
                  st.text(max_size=20).map(lambda s: "q=" + quote(s)))


def last_write(queue):
    """Every write is a Lua script that appends to the event stream (and a save bumps the id
    counter): so the stream's last entry and the counter change iff something was written.
    (The error tests compare every key; a SCAN per example is too slow for a fuzz loop.)"""
    last = queue.client.xrevrange(queue.keys.events, count=1)
    return queue.client.get(queue.keys.ids), last[0][0] if last else None


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(call=st.one_of(
           route, st.tuples(st.sampled_from(["get", "post", "put", "delete", "patch", "options",
                                             "head"]), st.one_of(path, rest_path))),
       body=body, query=query,
       content_type=st.sampled_from(["application/json"] * 4 + ["text/plain", ""]))
def test_no_input_reaches_a_5xx(api, redis_queue, call, body, query, content_type):
    method, url = call
    if not redis_queue.client.exists(redis_queue.keys.job(1)):
        redis_queue.create("email", {"title": "avi video"}, search_keys=["title"]).save()
    before = last_write(redis_queue)
    full = url + (f"?{query}" if query else "")
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    response = api.generic(method.upper(), full, data or b"", content_type=content_type)
    assert response.status_code < 500, (method, full, body, response.content[:300])
    if response.status_code >= 400 and method != "head":  # HEAD: the same, without a body
        parsed = json.loads(response.content)
        if isinstance(parsed, list):  # a bulk POST /job: one answer per element, in order
            assert url == "/kue/job" and parsed, parsed
            assert all(list(item) in (["error"], ["message", "id"]) for item in parsed), parsed
        else:
            assert list(parsed) == ["error"] and isinstance(parsed["error"], str), parsed
            assert last_write(redis_queue) == before, (method, full, body, response.status_code)
