"""Django ``@task`` functions for the tasks-backend tests (run by KueBackend's worker handler)."""

import asyncio
import time

try:
    from django.tasks import task
except ImportError:
    from django_tasks import task


class PaymentDeclined(Exception):
    pass


@task
def add(a, b):
    return a + b


@task
def stamp(label):
    """Returns when it ran (ns): tests read the order in which a worker ran tasks."""
    return {"label": label, "at": time.monotonic_ns()}


@task
def decline(amount):
    raise PaymentDeclined(f"declined: {amount}")


@task(takes_context=True)
def with_context(context, word):
    return {"id": context.task_result.id, "attempt": context.attempt, "word": word}


@task(queue_name="emails", priority=10)
def send_email(to):
    return {"sent": to}


@task
async def async_add(a, b):
    await asyncio.sleep(0)
    return a + b


def not_a_task(a, b):
    return a + b
