"""Async handlers: ``@kue_job`` on an ``async def`` runs as coroutines on one event loop.

A worker with async job types starts one event-loop thread, shared by all of them. Each type
gets an :class:`AsyncSlots` in place of its slot threads: a job becomes a task on that loop,
and an ``asyncio.Semaphore(concurrency)`` keeps at most ``concurrency`` of the type's
coroutines running at once (the worker's own slot count gates what it claims, too).

A job settled without its coroutine (ttl exceeded, lease lost, shutdown) has its task
cancelled, so a hung coroutine gives its slot back, which a hung thread never could.

``job.log()``, ``job.progress()`` and ``ctx.pause()`` are the synchronous calls of sync
handlers, called directly from the coroutine: each is one Redis round trip (well under a
millisecond on a local network; progress is throttled), cheaper than a hop to a thread pool,
and it keeps log lines in order and ``LeaseLost`` raised where the handler can see it. Long
blocking work belongs in ``await asyncio.to_thread(...)`` as in any asyncio code.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, Iterable

from .context import HandlerContext
from .handlers import HandlerSpec, Outcome, Running, failed, returned

if TYPE_CHECKING:
    from .worker import Worker

CLOSE_TIMEOUT = 5.0  # s the loop waits for cancelled coroutines to unwind at shutdown


def is_async(spec: HandlerSpec) -> bool:
    return inspect.iscoroutinefunction(spec.fn)


def slots(specs: Iterable[HandlerSpec], worker: Worker) -> dict[str, AsyncSlots]:
    """AsyncSlots for the types whose handler is a coroutine function, all on one event loop
    (none is started when no type is async); the other types get slot threads."""
    coroutines = [spec for spec in specs if is_async(spec)]
    if not coroutines:
        return {}
    loop = LoopThread(f"{worker.id}:asyncio")
    return {spec.type: AsyncSlots(spec, worker, loop) for spec in coroutines}


class LoopThread:
    """One event loop in its own daemon thread, stopped when its last user closes."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.users = 0
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def call(self, fn: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(fn, *args)

    def release(self) -> None:
        self.users -= 1
        if self.users > 0 or self.loop.is_closed():
            return
        future = asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop)
        try:
            future.result(CLOSE_TIMEOUT)
        except (FutureTimeout, asyncio.CancelledError):
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(CLOSE_TIMEOUT)


async def _cancel_all() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class AsyncSlots:
    """Slots of one async job type: the interface of ``handlers.Slots`` (inbox, add_thread,
    close), so the worker dispatches to it the same way."""

    def __init__(self, spec: HandlerSpec, worker: Worker, loop: LoopThread) -> None:
        self.spec = spec
        self.inbox = self  # the worker calls slots.inbox.put(running)
        self._worker = worker
        self._loop = loop
        self._semaphore = asyncio.Semaphore(spec.concurrency)
        self._tasks: dict[int, tuple[Running, asyncio.Task[None]]] = {}
        loop.users += 1

    def put(self, running: Running | None) -> None:
        if running is not None:
            self._loop.call(self._start, running)

    def _start(self, running: Running) -> None:  # on the loop
        task = self._loop.loop.create_task(self._run(running))
        self._tasks[id(running)] = (running, task)
        task.add_done_callback(lambda _: self._tasks.pop(id(running), None))

    async def _run(self, running: Running) -> None:
        async with self._semaphore:
            if running.settled:  # ttl or shutdown came first
                return
            outcome = await aexecute(running, HandlerContext(self._worker, self.spec.type))
        if self._worker._settle(running):
            self._worker._finisher.put(outcome)

    def add_thread(self) -> None:
        """A job of this type was settled without its coroutine: cancel that coroutine."""
        self._loop.call(self._cancel_settled)

    def _cancel_settled(self) -> None:  # on the loop
        for running, task in list(self._tasks.values()):
            if running.settled and not task.done():
                task.cancel()

    def close(self) -> None:
        self._loop.release()


async def aexecute(running: Running, ctx: Any) -> Outcome:
    """``handlers.execute`` for a coroutine (cancellation is not caught: the job was settled
    already)."""
    job, spec = running.job, running.spec
    try:
        value = await (spec.fn(job, ctx) if spec.takes_ctx else spec.fn(job))
    except Exception as exc:  # the handler's failure is the job's failure, not the worker's
        return failed(running, exc)
    return returned(running, value)
