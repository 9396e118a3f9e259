"""A load run: the crowd against the server until the deadline, a row of figures each
second, then everything closed within a bounded time (docs/loadgen.md#a-run)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backchannel_tools.loadgen.mix import Chooser
from backchannel_tools.loadgen.person import Crowd, Person
from backchannel_tools.loadgen.population import Population
from backchannel_tools.loadgen.recorder import Recorder
from backchannel_tools.loadgen.traffic import Traffic
from backchannel_tools.loadgen.webapi import CONNECTIONS, WebApi

GRACE = 3.0  # after the deadline, for the calls in flight to end before they are cancelled
DRAIN = 1.0  # then, for the last posts to reach the sockets
CLOSE_WITHIN = 10.0  # closing every socket
CONNECTS_AT_ONCE = 32  # more only overflows the edge's accept backlog

Tick = Callable[[Recorder, dict[str, Any]], None]  # after each second, with its row


@dataclass(frozen=True)
class Plan:
    url: str
    population: Population
    connected_fraction: float
    duration: float
    think: float  # mean seconds between one person's actions
    seed: int


async def run(plan: Plan, tick: Tick) -> Recorder:
    rng = random.Random(plan.seed)
    recorder = Recorder(rng)
    members = plan.population.members
    connected = set(rng.sample(range(len(members)), round(plan.connected_fraction * len(members))))
    _raise_file_limit(len(connected) + CONNECTIONS + 64)
    traffic = Traffic(rng)
    async with WebApi(plan.url) as api:
        crowd = Crowd(
            api=api,
            recorder=recorder,
            traffic=traffic,
            rng=rng,
            chooser=Chooser(rng),
            user_ids=[member.user_id for member in members],
            think=plan.think,
            deadline=recorder.started + plan.duration,
            connecting=asyncio.Semaphore(CONNECTS_AT_ONCE),
        )
        people = [
            Person(member, crowd, connected=number in connected)
            for number, member in enumerate(members)
        ]
        ticking = asyncio.create_task(_every_second(recorder, traffic, tick), name="loadgen-tick")
        # Ctrl-C ends the load early, and the report still covers what ran.
        interrupted = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, interrupted.set)
        try:
            await _live(people, plan.duration + GRACE, interrupted)
            if interrupted.is_set():
                recorder.stop_early()
            elif recorder.sockets_open:
                await asyncio.sleep(DRAIN)
        finally:
            loop.remove_signal_handler(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_WITHIN):
                    await asyncio.gather(*(person.close() for person in people))
            ticking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticking
    tick(recorder, recorder.close_second())  # the part of a second since the last row
    return recorder


async def _live(people: list[Person], within: float, interrupted: asyncio.Event) -> None:
    """Every person until they stop at the deadline; those still in a call `within`
    seconds from now, or once `interrupted` is set, are cancelled. A person's bug is
    raised, not hidden."""
    tasks = [asyncio.create_task(person.live(), name="loadgen-person") for person in people]
    everyone = asyncio.ensure_future(asyncio.wait(tasks))
    stop = asyncio.ensure_future(interrupted.wait())
    try:
        await asyncio.wait([everyone, stop], timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (everyone, stop, *tasks):
            waiter.cancel()
        await asyncio.gather(everyone, stop, *tasks, return_exceptions=True)
    for task in tasks:
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            raise failure


async def _every_second(recorder: Recorder, traffic: Traffic, tick: Tick) -> None:
    ticks = 0
    while True:
        ticks += 1
        await asyncio.sleep(max(0.0, recorder.started + ticks - recorder.clock()))
        traffic.forget_old()
        tick(recorder, recorder.close_second())


def _raise_file_limit(needed: int) -> None:
    """Each socket is a file descriptor: lift the soft limit towards the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
