"""Bolt for Python's getting-started app, unchanged but for its base URL (SLACK_API_URL):
what a developer porting a Slack app runs (docs/apps.md). Over Socket Mode with
SLACK_APP_TOKEN, else on Bolt's own HTTP server at PORT (the Events API).

RECORD (tests only): a file each request's event id and retry number are appended to, so a
test can tell every event arrived once, or again only as a marked retry."""

import json
import os

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

# The one change from Slack's getting-started app: the Web API's base URL.
client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])


@app.middleware
def record(request, body, next):
    if os.environ.get("RECORD") and body.get("event_id"):
        retry = request.headers.get("x-slack-retry-num", [None])[0] or request.context.get(
            "retry_num"
        )
        with open(os.environ["RECORD"], "a") as out:
            event = body.get("event") or {}
            seen = {"event_id": body["event_id"], "retry": retry, "team": body.get("team_id")}
            seen |= {"ts": event.get("ts"), "channel": event.get("channel")}
            out.write(json.dumps({**seen, "type": event.get("type")}) + "\n")
    return next()


@app.message("hello")
def message_hello(message, say):
    say(text=f"Hey there <@{message['user']}>!", thread_ts=message["ts"])


@app.event("app_mention")
def mentioned(event, say):
    say(text=f"You mentioned me, <@{event['user']}>", thread_ts=event["ts"])


@app.event("reaction_added")
def reaction_added(event, client):
    item = event["item"]
    client.chat_postMessage(
        channel=item["channel"], thread_ts=item["ts"], text=f"Thanks for the :{event['reaction']}:"
    )


if __name__ == "__main__":
    if os.environ.get("SLACK_APP_TOKEN"):
        SocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).start()
    else:
        app.start(port=int(os.environ["PORT"]))
