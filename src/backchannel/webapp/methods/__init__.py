"""One module per family of Web API methods; importing this registers them all."""

from backchannel.webapp.methods import (
    admin,
    api,
    apps,
    auth,
    bots,
    chat,
    client,
    connect,
    conversations,
    files,
    pins,
    reactions,
    rtm,
    search,
    team,
    users,
)

__all__ = [
    "admin",
    "api",
    "apps",
    "auth",
    "bots",
    "chat",
    "client",
    "connect",
    "conversations",
    "files",
    "pins",
    "reactions",
    "rtm",
    "search",
    "team",
    "users",
]
