"""System checks django_kue.E001..E004: what ``manage.py check`` says about settings.KUE.

The checks are offline: a KUE pointing at a Redis that does not exist passes them.
"""

from __future__ import annotations

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def kue_messages():
    return [m for m in run_checks() if m.id and m.id.startswith("django_kue.")]


def test_the_test_settings_pass():
    assert kue_messages() == []
    call_command("check", verbosity=0)


@pytest.mark.parametrize("kue, check_id, words", [
    ({"PERFIX": "q"}, "django_kue.E001", "unknown KUE setting 'PERFIX'"),
    ({"LEASE": 0}, "django_kue.E002", "KUE['LEASE'] must be a positive integer"),
    ({"SEARCH": "yes"}, "django_kue.E002", "KUE['SEARCH'] must be True or False"),
    ({"REDIS_URL": "http://127.0.0.1:6379"}, "django_kue.E003", "redis://, rediss:// or unix://"),
    ({"CLIENT_FACTORY": "nowhere.factory"}, "django_kue.E004", "cannot be imported"),
])
def test_each_problem_has_its_id(settings, kue, check_id, words):
    settings.KUE = kue
    messages = kue_messages()
    assert [m.id for m in messages] == [check_id]
    assert isinstance(messages[0], Error)
    assert words in messages[0].msg


def test_hints_say_how_to_fix_it(settings):
    settings.KUE = {"PERFIX": "q", "IDLE_WAIT": -1, "REDIS_URL": "localhost"}
    hints = {m.id: m.hint for m in kue_messages()}
    assert "PREFIX" in hints["django_kue.E001"]
    assert "milliseconds" in hints["django_kue.E002"]
    assert "redis://127.0.0.1:6379/0" in hints["django_kue.E003"]


def test_manage_py_check_fails_on_a_bad_setting(settings):
    settings.KUE = {"PERFIX": "q"}
    with pytest.raises(SystemCheckError, match=r"django_kue\.E001"):
        call_command("check", verbosity=0)


def test_checks_do_not_touch_the_network(settings):
    """Nothing listens on port 1: a check that connected would fail or hang here."""
    settings.KUE = {"REDIS_URL": "redis://127.0.0.1:1/0", "CONNECTION_OPTIONS": {"socket_timeout": 0.1}}
    assert kue_messages() == []
    call_command("check", verbosity=0)
