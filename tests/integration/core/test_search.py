"""Search over search_keys (config.search; the test settings turn it on, Kue's default is off)."""

from __future__ import annotations

from django_kue import get_queue


def test_search_finds_jobs_holding_every_word_newest_first(queue):
    a = queue.create("email", {"to": "ann@example.com", "title": "Welcome Ann"}).save()
    b = queue.create("email", {"to": "bob@example.com", "title": "Welcome Bob"}).save()
    assert queue.search("welcome") == [b.id, a.id]
    assert queue.search("WELCOME ann") == [a.id]
    assert queue.search("welcome carol") == []
    assert queue.search("") == [] and queue.search("!!!") == []


def test_only_the_search_keys_are_indexed(queue):
    job = queue.create("email", {"to": "ann@example.com", "body": "secret words"},
                       search_keys=["to"]).save()
    assert queue.search("ann") == [job.id]
    assert queue.search("secret") == []


def test_dotted_search_keys_and_non_string_values(queue):
    job = queue.create("email", {"user": {"name": "Zoë", "age": 41}},
                       search_keys=["user.name", "user.age", "user.missing"]).save()
    assert queue.search("zoë") == [job.id]
    assert queue.search("41") == [job.id]


def test_remove_drops_the_job_from_the_index(queue):
    job = queue.create("email", {"title": "unique-word-xyz"}).save()
    job.remove()
    assert queue.search("xyz") == []
    assert queue.client.exists(queue.keys.search_object(job.id), queue.keys.search_word("xyz")) == 0


def test_resave_indexes_the_new_words(queue):
    job = queue.create("email", {"title": "first"}).save()
    job.data["title"] = "second"
    job.save()
    assert queue.search("second") == [job.id]


def test_with_search_off_nothing_is_indexed(queue, settings):
    settings.KUE = {**settings.KUE, "SEARCH": False}
    q = get_queue()
    job = q.create("email", {"title": "invisible"}).save()
    assert q.search("invisible") == []
    assert q.client.exists(q.keys.search_object(job.id), q.keys.search_word("invisible")) == 0
