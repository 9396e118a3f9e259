"""Who a websocket is, decided in its opening handshake (docs/realtime.md, docs/apps.md): a
single-use ticket, redeemed on the edge that owns its workspace, for an RTM socket (which
may resume from a token) or for an app's Socket Mode connection (`/link/`). A socket that
may not open is refused before the upgrade, with a status and one line.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request, Response

from backchannel.edge.frames import parse_resume_token
from backchannel.edge.pages import page_for
from backchannel.errors import BackchannelError, InvalidArgument, NotFound
from backchannel.metrics import Metrics
from backchannel.models import App, Position, TokenInfo
from backchannel.services import ServiceContext
from backchannel.services.apps.links import check_link
from backchannel.services.realtime.tickets import redeem_ticket
from backchannel.services.tenancy.assignments import check_not_moving, workspace_log

LINK_PATH = "/link"  # Socket Mode connections (apps.connections.open's URLs)
Owns = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class Identity:
    caller: TokenInfo
    since: Position  # the client's resume token, else the log's head at its ticket; its
    # stream is the workspace's shard
    app: App | None = None  # a Socket Mode connection's app (docs/apps.md)


class Admission:
    def __init__(self, ctx: ServiceContext, metrics: Metrics, owns: Owns) -> None:
        self.ctx = ctx
        self.metrics = metrics
        self._owns = owns
        # Handshake -> handler; weak, so a connection lost in between leaves nothing behind.
        self._identities: weakref.WeakKeyDictionary[ServerConnection, Identity] = (
            weakref.WeakKeyDictionary()
        )

    def take(self, connection: ServerConnection) -> Identity:
        """Who an admitted socket is (once)."""
        return self._identities.pop(connection)

    async def handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        """websockets' process_request: None admits the socket (its Identity kept for
        `take`); a response refuses it."""
        where = urlsplit(request.path)
        page = page_for(where.path, self.metrics)
        if page is not None:
            return page
        query = parse_qs(where.query)
        ticket = (query.get("ticket") or [""])[0]
        link = where.path.rstrip("/").endswith(LINK_PATH)
        if not ticket:
            method = "apps.connections.open" if link else "rtm.connect"
            return connection.respond(HTTPStatus.UNAUTHORIZED, f"missing ticket: call {method}\n")
        resume = (query.get("resume") or [""])[0]
        try:
            since = parse_resume_token(resume) if resume and not link else None
            response = await self._admit(connection, ticket, since)
            if response is None and link:
                return await self._admit_app(connection, (query.get("app_id") or [""])[0])
            return response
        except ValueError as exc:
            return connection.respond(HTTPStatus.BAD_REQUEST, f"{exc}\n")
        except (NotFound, InvalidArgument):  # the ticket names no workspace we have
            return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket: call rtm.connect\n")
        except BackchannelError as exc:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, f"{exc.slack_error}\n")

    async def _admit(
        self, connection: ServerConnection, ticket: str, since: tuple[str, int] | None
    ) -> Response | None:
        workspace_id = ticket.partition("-")[0]
        stream = await workspace_log(self.ctx, workspace_id)
        await check_not_moving(self.ctx, workspace_id)  # 503 migration_in_progress, ticket kept
        if not await self._owns(workspace_id):
            # Before the ticket is used up: the client may still take it to the right edge.
            return connection.respond(
                HTTPStatus.MISDIRECTED_REQUEST, "this edge does not own that workspace\n"
            )
        redeemed = await redeem_ticket(self.ctx, ticket)
        if redeemed is None:
            return connection.respond(
                HTTPStatus.UNAUTHORIZED, "invalid, used or expired ticket: call rtm.connect\n"
            )
        # Without a token of its own the socket starts where the log stood when rtm.connect
        # or rtm.start answered: what happened in between is not lost.
        epoch, seq = since or (redeemed.since_epoch, redeemed.since_seq)
        position = Position(stream, epoch, seq)
        self._identities[connection] = Identity(redeemed.caller, position)
        return None

    async def _admit_app(self, connection: ServerConnection, app_id: str) -> Response | None:
        """A Socket Mode connection: its ticket was issued to an app-level token of the app
        it names."""
        identity = self._identities[connection]
        caller = identity.caller
        app = await check_link(self.ctx, caller, app_id)
        if app is None:
            del self._identities[connection]
            return connection.respond(
                HTTPStatus.UNAUTHORIZED, "invalid ticket: call apps.connections.open\n"
            )
        self._identities[connection] = Identity(caller, identity.since, app)
        return None
