"""Unit checks of the signal bridge's argument mapping and its settings."""

from __future__ import annotations

from django_kue.conf import validate
from django_kue.core.events import Event
from django_kue.listener import signal_kwargs


def event(name, *args):
    return Event("1-0", name, 7, "email", list(args))


def test_kwargs_are_kues_event_arguments():
    assert signal_kwargs(event("enqueue", "email")) == {"job_id": 7, "type": "email"}
    assert signal_kwargs(event("progress", 40, {"f": 1})) == {
        "job_id": 7, "type": "email", "progress": 40, "data": {"f": 1}}
    assert signal_kwargs(event("failed attempt", "boom", 2)) == {
        "job_id": 7, "type": "email", "error": "boom", "attempts_made": 2}
    assert signal_kwargs(event("failed", "boom")) == {"job_id": 7, "type": "email", "error": "boom"}
    assert signal_kwargs(event("complete", None)) == {"job_id": 7, "type": "email", "result": None}


def test_listen_mirror_and_job_events_must_be_booleans(settings):
    settings.KUE = {"LISTEN": "yes", "MIRROR": 1, "JOB_EVENTS": False}
    problems = [p for p in validate() if p[0] == "E002"]
    assert [p[1] for p in problems] == ["KUE['LISTEN'] must be True or False, not 'yes'",
                                        "KUE['MIRROR'] must be True or False, not 1"]
