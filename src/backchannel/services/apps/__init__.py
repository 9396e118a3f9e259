"""Slack apps (docs/apps.md): the app model, manifests, scopes and event subscriptions,
installs, and what is delivered to an app."""
