"""api.test: checks that calling the API works."""

from __future__ import annotations

from backchannel.webapp.registry import Call, api_method
from backchannel.webapp.responses import SlackResponse, error, ok


@api_method("api.test", auth=False)
async def api_test(call: Call) -> SlackResponse:
    args = {k: v for k, v in call.params.items() if k != "token" and isinstance(v, str)}
    if args.get("error"):
        return error(args["error"], args=args)
    return ok(args=args) if args else ok()
