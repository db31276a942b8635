"""API fixtures: a staff client (session login) on the real-Redis test queue."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_kue.core.keys import TEMPLATES
from django_kue.core.states import STATES


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(django_user_model):
    """A staff user who may act on jobs (the job model's add, change and delete permissions)."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="django_kue", codename__in=[
            "add_jobrecord", "change_jobrecord", "delete_jobrecord"]))
    return user


@pytest.fixture
def api(db, redis_queue, staff):
    """An APIClient logged in as staff; the queue it reaches is ``redis_queue``."""
    client = APIClient()
    client.force_login(staff)
    return client


@pytest.fixture
def snapshot(redis_client, redis_queue):
    """Every key the test queue can have, dumped: to prove a refused request wrote nothing.

    The keys are enumerated from core/keys.py (every fixed key, every job id up to the id
    counter, every type's state zsets, every indexed search word), not SCANned: the shared
    test Redis may hold hundreds of thousands of other keys.
    """
    k = redis_queue.keys

    def names():
        out = [getattr(k, name) for name, template in TEMPLATES.items() if "{" not in template]
        out += [k.state(state) for state in STATES]
        for raw in redis_client.smembers(k.types):
            job_type = raw.decode()
            out += [k.type_state(job_type, state) for state in STATES] + [k.wake(job_type)]
        top = int(redis_client.get(k.ids) or 0)
        words = set()
        for job_id in range(1, top + 2):
            out += [k.job(job_id), k.log(job_id), k.search_object(job_id)]
            words |= redis_client.smembers(k.search_object(job_id))
        return out + [k.search_word(w.decode()) for w in sorted(words)]

    def take():
        keys = names()
        pipe = redis_client.pipeline(transaction=False)
        for key in keys:
            pipe.dump(key)
        return dict(zip(keys, pipe.execute()))

    return take
