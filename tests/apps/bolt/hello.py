"""Bolt for Python's getting-started app, over Socket Mode, unchanged but for its base URL
(SLACK_API_URL): what a developer porting a Slack app runs (docs/apps.md)."""

import os

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

# The one change from Slack's getting-started app: the Web API's base URL.
client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
app = App(client=client)


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
    SocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).start()
