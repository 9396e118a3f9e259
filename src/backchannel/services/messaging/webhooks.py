"""Slack-compatible incoming webhooks: a secret URL that posts into one channel.

Each webhook has its own bot (B..., with a bot user), as each of Slack's incoming webhooks
does, and its posts are `bot_message`s by that bot. The bot joins the channel when the
webhook is made. The webhook row (main DB) keeps only a SHA-256 of the URL's secret; the
secret is shown once, in the URL. Errors carry Slack's webhook error strings (no_service,
invalid_token, channel_not_found, channel_is_archived, invalid_payload, no_text, ...).
The bot's arrival is announced like a new member's (team_join, member_joined_channel), and
its posts like any message (docs/realtime.md).
"""

from __future__ import annotations

import hmac
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from backchannel.errors import AuthError, BackchannelError, InvalidArgument, NotFound
from backchannel.models import Bot, Channel, Message, Webhook, Workspace
from backchannel.router import Main, ShardFor
from backchannel.services.context import ServiceContext
from backchannel.services.conversations.access import check_not_archived
from backchannel.services.conversations.channels import member_joined, now_ts
from backchannel.services.crossdb import main_then_shards
from backchannel.services.identity.credentials import hash_token
from backchannel.services.messaging import messages
from backchannel.services.messaging.personas import Persona
from backchannel.services.people.users import (
    free_handle_txn,
    new_bot_user,
    team_join,
    undo_new_user,
)
from backchannel.services.realtime import events
from backchannel.services.tenancy.workspaces import find_workspace
from backchannel.services.validation import check_display_name
from backchannel.storage.engines.connection import Conn
from backchannel.storage.main import webhooks as store
from backchannel.storage.shard import channels, users
from backchannel.storage.shard import memberships as membership_store
from backchannel.types import BOT, is_keyed_id, new_keyed_id, parse_ts

DEFAULT_NAME = "incoming-webhook"  # Slack's name for a webhook's bot
_SECRET_ALPHABET = string.ascii_letters + string.digits
_SECRET_LENGTH = 32  # about 190 random bits


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    channel: Channel
    secret: str  # shown once, in the URL; only its hash is stored

    def url(self, base_url: str) -> str:
        return webhook_url(base_url, self.webhook.id, self.secret)


@dataclass(frozen=True)
class WebhookPost:
    """What a webhook payload asks to post."""

    text: str
    blocks: list[Any] | None
    attachments: list[Any] | None
    thread_ts: str | None
    persona: Persona | None = None  # username, icon_emoji, icon_url
    link_names: bool = False


def webhook_url(base_url: str, webhook_id: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/services/hooks/{webhook_id}/{secret}"


async def create_webhook(
    ctx: ServiceContext,
    *,
    workspace: str,
    channel: str,
    name: str = DEFAULT_NAME,
    created_by: str | None = None,
) -> NewWebhook:
    """A webhook posting into `channel` (C.../G... id, or #name) of `workspace` (id or domain)."""
    real_name = check_display_name(name, limit=80)
    target = await find_workspace(ctx, workspace)
    now = ctx.clock()
    bot_id = new_keyed_id(BOT, target.keyspace)
    bot_user = new_bot_user(target, bot_id, real_name, now)
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH))
    async with main_then_shards(ctx) as (main_conn, open_shard):
        async with open_shard(ShardFor(target.id), undo_new_user(ctx, bot_user)) as conn:
            found = await _webhook_channel_txn(conn, target, channel)
            # Many webhooks may share a name; their bots' handles may not.
            handle = await free_handle_txn(conn, target.id, bot_user.name)
            bot_user = replace(bot_user, name=handle)
            await users.insert_user_txn(conn, bot_user)
            await users.insert_bot_txn(
                conn, Bot(bot_id, target.id, bot_user.id, real_name, False, now)
            )
            await membership_store.add_member_txn(
                conn, channel_id=found.id, user_id=bot_user.id, workspace_id=target.id, now=now
            )
            await events.append_txn(ctx, conn, team_join(bot_user, ctx.public_url))
            await events.append_txn(ctx, conn, member_joined(found, bot_user.id, now_ts(ctx)))
        webhook = Webhook(bot_id, target.id, found.id, bot_user.id, created_by, now)
        await store.insert_webhook_txn(main_conn, webhook, hash_token(secret))
    return NewWebhook(webhook, found, secret)


async def revoke_webhook(ctx: ServiceContext, *, webhook_id: str) -> None:
    """Turn a webhook's URL off for good (its past messages stay)."""
    async with ctx.router.write(Main()) as conn:
        # Revoking twice is not an error; revoking what does not exist is.
        if await store.webhook_txn(conn, webhook_id) is None:
            raise NotFound(f"no webhook {webhook_id}", slack_error="no_service")
        await store.revoke_webhook_txn(conn, webhook_id, ctx.clock())


async def authenticate_webhook(ctx: ServiceContext, webhook_id: str, secret: str) -> Webhook:
    """The webhook a URL names, if its secret is right and it was not revoked."""
    found = None
    if is_keyed_id(webhook_id):
        async with ctx.router.read(Main()) as conn:
            found = await store.webhook_txn(conn, webhook_id)
    if found is None:
        raise NotFound("no such webhook", slack_error="no_service")
    webhook, token_hash = found
    if not hmac.compare_digest(token_hash, hash_token(secret)) or webhook.revoked is not None:
        raise AuthError("the webhook's secret is wrong or revoked", slack_error="invalid_token")
    return webhook


def read_payload(payload: Mapping[str, Any]) -> WebhookPost:
    """Slack's webhook JSON: text, blocks, attachments, thread_ts, username, icon_emoji,
    icon_url and link_names (other fields are ignored)."""
    text = payload.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _invalid("text must be a string")
    return WebhookPost(
        text,
        _objects(payload, "blocks"),
        _objects(payload, "attachments"),
        _thread_ts(payload),
        _persona(payload),
        payload.get("link_names") in (True, 1, "1", "true"),
    )


async def post_via_webhook(ctx: ServiceContext, webhook: Webhook, post: WebhookPost) -> Message:
    """Post as the webhook's bot, a `bot_message` in its channel."""
    try:
        return await messages.post_message(
            ctx,
            workspace_id=webhook.workspace_id,
            user_id=webhook.bot_user_id,
            channel_id=webhook.channel_id,
            text=post.text,
            thread_ts=post.thread_ts,
            bot_id=webhook.id,
            blocks=post.blocks,
            attachments=post.attachments,
            subtype="bot_message",
            persona=post.persona,
            link_names=post.link_names,
        )
    except BackchannelError as exc:
        # The Web API's words for these, in the webhook's vocabulary.
        renamed = {
            "is_archived": "channel_is_archived",
            "not_in_channel": "channel_not_found",
            "invalid_arguments": "invalid_payload",  # a bad username or icon
        }
        if exc.slack_error in renamed:
            exc.slack_error = renamed[exc.slack_error]
        raise


async def _webhook_channel_txn(conn: Conn, workspace: Workspace, ref: str) -> Channel:
    """A channel of the workspace by id or #name; DMs are not webhook targets."""
    wanted = ref.strip()
    if is_keyed_id(wanted):
        found = await channels.get_channel_txn(conn, wanted)
    else:
        found = await channels.channel_by_name_txn(conn, workspace.id, wanted.lstrip("#").lower())
    if found is None or found.workspace_id != workspace.id or found.is_im or found.is_mpim:
        raise NotFound(f"no channel {ref!r} in {workspace.domain}", slack_error="channel_not_found")
    check_not_archived(found)
    return found


def _objects(payload: Mapping[str, Any], name: str) -> list[Any] | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid(f"{name} must be an array of objects")
    return value


def _persona(payload: Mapping[str, Any]) -> Persona | None:
    """The name and icon a payload asks for (checked when posting:
    services/messaging/personas.py)."""
    fields = {name: payload.get(name) for name in ("username", "icon_emoji", "icon_url")}
    if not any(fields.values()):
        return None
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise _invalid(f"{name} must be a string")
    return Persona(**fields)


def _thread_ts(payload: Mapping[str, Any]) -> str | None:
    value = payload.get("thread_ts")
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = f"{value:.6f}"
    try:
        parse_ts(value)
    except ValueError:
        raise _invalid(f"thread_ts must be a message ts, got {value!r}") from None
    return str(value)


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(message, slack_error="invalid_payload")
