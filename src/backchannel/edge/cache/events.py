"""Bringing a workspace's cached rows up to each event of its log, before any socket gets it
(docs/edge-cache.md): so whatever a socket is sent from the cache is the state at that point
of its stream. Channels an event does not describe well enough (shared, unshared, joined
while unknown) are marked stale, and read again (workspaces.py)."""

from __future__ import annotations

from typing import Any

from backchannel.edge.cache.rows import VIEWER_FIELDS, WorkspaceCache
from backchannel.models import Channel, Event

CREATED = ("channel_created", "group_joined", "im_created", "mpim_joined")


def apply(cache: WorkspaceCache, event: Event) -> None:
    """Bring the rows up to `event`: it is the next one of the log after `cache.through`
    (older ones are in the rows already)."""
    position = event.position
    if position is None:
        return  # typing, presence: nothing the cache holds
    if position.epoch != cache.epoch or position.seq <= cache.through:
        return
    cache.through = position.seq
    payload = event.payload
    kind = event.type
    channel = payload.get("channel")
    touched = event.channel_id or (channel.get("id") if isinstance(channel, dict) else channel)
    if isinstance(touched, str):  # a re-read of it that began before is out of date
        cache.changes[touched] = cache.changes.get(touched, 0) + 1
    if kind in ("user_change", "team_join") and isinstance(payload.get("user"), dict):
        # Never a relayed copy of a seat elsewhere of someone who sits here (profiles.py).
        cache.put_user_view({k: v for k, v in payload["user"].items() if k != "presence"})
    elif kind in CREATED:
        _created(cache, event)
    elif kind.endswith("_rename"):
        _renamed(cache, payload.get("channel"))
    elif kind.endswith("_archive") or kind.endswith("_unarchive"):
        cache.update_channel(payload.get("channel"), is_archived=kind.endswith("_archive"))
    elif kind in ("channel_shared", "channel_unshared"):
        cache.mark_stale(str(payload.get("channel", "")))
    elif kind == "message" and payload.get("subtype") in ("channel_topic", "channel_purpose"):
        _set_text(cache, event)
    if event.membership is not None and event.channel_id and event.user_id:
        cache.set_membership(event.channel_id, event.user_id, event.membership == "join")


def _created(cache: WorkspaceCache, event: Event) -> None:
    view = event.payload.get("channel")
    if not isinstance(view, dict) or not isinstance(view.get("id"), str):
        return
    channel_id = view["id"]
    if event.type == "channel_created":
        if channel_id not in cache.channels:
            cache.put_channel(_summarised(event, view), [])
        return
    if channel_id not in cache.channels:
        cache.set_channel(channel_id, {k: v for k, v in view.items() if k not in VIEWER_FIELDS})
        cache.members.setdefault(channel_id, [])  # its joins come as their own events
        if event.type == "group_joined" and _made_here(view, cache.workspace_id):
            # A private channel made since the snapshot: its creator's member_joined came
            # first, while the channel was unknown. Its creator is its one member.
            cache.set_membership(channel_id, str(event.user_id), True)
            cache.stale.discard(channel_id)


def _summarised(event: Event, view: dict[str, Any]) -> Channel:
    """channel_created carries a summary only (id, name, created, creator): a new public
    channel, all else at its defaults."""
    return Channel(
        id=view["id"],
        workspace_id=event.workspace_id,
        name=str(view.get("name", "")),
        is_private=False,
        is_im=False,
        is_mpim=False,
        is_general=False,
        is_archived=False,
        creator=str(view.get("creator") or "") or None,
        created=float(view.get("created", 0)),
    )


def _renamed(cache: WorkspaceCache, summary: Any) -> None:
    if isinstance(summary, dict) and isinstance(summary.get("name"), str):
        name = summary["name"]
        cache.update_channel(summary.get("id"), name=name, name_normalized=name)


def _set_text(cache: WorkspaceCache, event: Event) -> None:
    """A channel_topic or channel_purpose message carries the new value."""
    payload = event.payload
    setting = str(payload["subtype"]).removeprefix("channel_")
    value = payload.get(setting)
    if isinstance(value, str) and event.channel_id:
        last_set = int(float(str(payload.get("ts", "0")) or 0))
        text = {"value": value, "creator": payload.get("user", ""), "last_set": last_set}
        cache.update_channel(event.channel_id, **{setting: text})


def _made_here(view: dict[str, Any], workspace_id: str) -> bool:
    """A conversation of this workspace, shared with no other (whose members it knows)."""
    return view.get("context_team_id") == workspace_id and not view.get("is_shared")
