"""Slack's export format: `backchannel import slack-export` and `backchannel export`
(docs/slack-export.md).
"""
