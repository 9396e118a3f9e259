"""bots.*: a workspace's bots (docs/apps.md, Bots)."""

from __future__ import annotations

from backchannel.errors import InvalidArgument
from backchannel.services.people import directory
from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, ok
from backchannel.wire import bot_info_json


@api_method("bots.info")
async def bots_info(call: Call) -> SlackResponse:
    bot_id = call.args.optional_string("bot")
    if not bot_id:
        raise InvalidArgument("give the bot's id (B...)", slack_error="missing_argument")
    found = await directory.get_bot(call.ctx, call.caller.workspace_id, bot_id)
    return ok(bot=bot_info_json(found.bot, found.app_id, call.base_url))
