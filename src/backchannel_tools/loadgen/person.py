"""One simulated person: think, pick an action from the mix, do it, record it; until the
deadline. A connected person holds an RTM socket and reconnects when it drops.

See docs/loadgen.md#the-mix.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from backchannel_tools.loadgen import mix
from backchannel_tools.loadgen.population import Member
from backchannel_tools.loadgen.recorder import Recorder
from backchannel_tools.loadgen.rtm import RtmSocket
from backchannel_tools.loadgen.traffic import Traffic
from backchannel_tools.loadgen.webapi import Outcome, WebApi

GENERAL_SHARE = 0.1  # of a person's posts and reads, those in #general (everyone is in it)
HISTORY_LIMIT = "30"  # about a screenful, as clients ask when a channel is opened
REMEMBERED = 10  # top-level messages of a history page remembered for replies and reactions
EMOJI = ("thumbsup", "eyes", "tada", "heart", "joy", "white_check_mark", "fire", "pray")
WORDS = ("the", "fix", "is", "merged", "deploy", "review", "looks", "good", "thanks", "sync")


@dataclass(frozen=True)
class Crowd:
    """What every person of the run shares."""

    api: WebApi
    recorder: Recorder
    traffic: Traffic
    rng: random.Random
    chooser: mix.Chooser
    user_ids: list[str]
    think: float  # mean seconds between one person's actions
    deadline: float  # time.perf_counter() at which everyone stops
    connecting: asyncio.Semaphore  # socket opens in flight at once


class Person:
    def __init__(self, member: Member, crowd: Crowd, *, connected: bool) -> None:
        self.member = member
        self.crowd = crowd
        self.socket = (
            RtmSocket(member.token, crowd.api, crowd.recorder, crowd.traffic) if connected else None
        )
        self._backoff = 0.0  # extra wait a 429 asked for

    async def live(self) -> None:
        """Until the deadline; a person's first action comes at a random point of their
        first think time, so that the crowd does not act in step."""
        rng, think = self.crowd.rng, self.crowd.think
        if self.socket is not None:
            await self._connect(mix.CONNECT)
        pause = rng.uniform(0, think)
        while await self._until(pause):
            if self.socket is not None and not self.socket.is_open:
                await self._connect(mix.RECONNECT)
            else:
                action = self.crowd.chooser.next(connected=self.socket is not None)
                await _DO[action.name](self)
            pause, self._backoff = rng.expovariate(1 / think) + self._backoff, 0.0

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def _until(self, pause: float) -> bool:
        """Sleep `pause` seconds, or to the deadline; whether there is time left to act."""
        left = self.crowd.deadline - time.perf_counter()
        await asyncio.sleep(max(0.0, min(pause, left)))
        return time.perf_counter() < self.crowd.deadline

    # -- the actions -----------------------------------------------------------------------

    async def _history(self) -> None:
        channel = self._channel()
        answer = await self._call(
            mix.HISTORY, "conversations.history", channel, limit=HISTORY_LIMIT
        )
        if answer.ok:
            for message in answer.body.get("messages", [])[:REMEMBERED]:
                if message.get("thread_ts") in (None, message["ts"]):  # not a reply
                    self.crowd.traffic.seen(channel, str(message["ts"]))

    async def _post(self) -> None:
        channel = self._channel()
        answer = await self._send(mix.POST, channel, thread_ts=None)
        if answer.ok:
            self.crowd.traffic.seen(channel, str(answer.body["ts"]))

    async def _reply(self) -> None:
        channel = self._channel()
        thread_ts = self.crowd.traffic.pick(channel)
        if thread_ts is None:  # nothing seen in the channel yet to reply to
            await self._post()
            return
        await self._send(mix.REPLY, channel, thread_ts=thread_ts)

    async def _react(self) -> None:
        channel = self._channel()
        ts = self.crowd.traffic.pick(channel)
        if ts is None:  # nothing seen yet: read the channel first
            await self._history()
            return
        emoji = self.crowd.rng.choice(EMOJI)
        await self._call(mix.REACT, "reactions.add", channel, timestamp=ts, name=emoji)

    async def _typing(self) -> None:
        assert self.socket is not None
        error = await self.socket.typing(self._channel())
        self._record(mix.TYPING, Outcome({}, error, 0.0), latency=False)

    async def _list(self) -> None:
        await self._call(
            mix.LIST,
            "conversations.list",
            None,
            types="public_channel",
            exclude_archived="true",
            limit="100",
        )

    async def _user_info(self) -> None:
        user = self.crowd.rng.choice(self.crowd.user_ids)
        await self._call(mix.USER_INFO, "users.info", None, user=user)

    async def _reconnect(self) -> None:
        assert self.socket is not None
        await self.socket.close()
        await self._connect(mix.RECONNECT)

    # -- helpers ---------------------------------------------------------------------------

    def _channel(self) -> str:
        general, *others = self.member.channel_ids
        if not others or self.crowd.rng.random() < GENERAL_SHARE:
            return general
        return self.crowd.rng.choice(others)

    async def _send(self, action: str, channel: str, *, thread_ts: str | None) -> Outcome:
        """A post, stamped so that its deliveries can be timed (docs/loadgen.md)."""
        client_msg_id = str(uuid.uuid4())
        fields = {"text": self._text(), "client_msg_id": client_msg_id}
        if thread_ts is not None:
            fields["thread_ts"] = thread_ts
        self.crowd.traffic.sending(client_msg_id)
        return await self._call(action, "chat.postMessage", channel, **fields)

    def _text(self) -> str:
        rng = self.crowd.rng
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))

    async def _call(self, action: str, method: str, channel: str | None, **fields: Any) -> Outcome:
        if channel is not None:
            fields["channel"] = channel
        answer = await self.crowd.api.call(method, self.member.token, **fields)
        self._record(action, answer)
        return answer

    async def _connect(self, action: str) -> None:
        assert self.socket is not None
        async with self.crowd.connecting:
            started = time.perf_counter()
            error = await self.socket.open()
        self._record(action, Outcome({}, error, time.perf_counter() - started))

    def _record(self, action: str, outcome: Outcome, *, latency: bool = True) -> None:
        recorder = self.crowd.recorder
        if outcome.error is None:
            recorder.ok(action, outcome.latency if latency else None)
            return
        recorder.error(action, outcome.error)
        self._backoff = outcome.retry_after


_DO: dict[str, Callable[[Person], Awaitable[None]]] = {
    mix.HISTORY: Person._history,
    mix.POST: Person._post,
    mix.REPLY: Person._reply,
    mix.REACT: Person._react,
    mix.TYPING: Person._typing,
    mix.LIST: Person._list,
    mix.USER_INFO: Person._user_info,
    mix.RECONNECT: Person._reconnect,
}
