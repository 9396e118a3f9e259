"""Table definitions of the main DB and of a shard (every shard has the same schema).

Alembic migrations in storage/migrations/{main,shard} create these tables; this module is
what queries are written against. Keep the two in step: tests compare them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# ---------------------------------------------------------------------------------------
# Main DB: organisations, workspaces, the shard map (topology), credentials and tokens.
# ---------------------------------------------------------------------------------------
main_metadata = MetaData()

organisations = Table(
    "organisations",
    main_metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(250), nullable=False),
    Column("created", Float, nullable=False),
)

# Database shards: one SQLite file or one PostgreSQL database each.
db_shards = Table(
    "db_shards",
    main_metadata,
    Column("name", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    Column("role", String(16), nullable=False, server_default="primary"),
    Column("created", Float, nullable=False),
    Column("replica_url", Text, nullable=True),  # main_0009: a streaming replica
)

# Message-server shards: each workspace is assigned one; the live edges serving it share
# its workspaces out (see `edges`).
ms_shards = Table(
    "ms_shards",
    main_metadata,
    Column("name", String(64), primary_key=True),
    Column("created", Float, nullable=False),
)

# Edge processes (main_0008), keyed by the websocket URL clients are sent to. `ms_shards` is
# a JSON list of the message-server shards served, null for all of them. An edge is live
# while its heartbeat is younger than a few of its heartbeat_seconds (services/realtime/edges.py).
edges = Table(
    "edges",
    main_metadata,
    Column("url", Text, primary_key=True),
    Column("ms_shards", JSON, nullable=True),
    Column("started", Float, nullable=False),
    Column("heartbeat", Float, nullable=False),
    Column("heartbeat_seconds", Float, nullable=False),
)

workspaces = Table(
    "workspaces",
    main_metadata,
    Column("id", String(16), primary_key=True),
    Column("keyspace", Integer, nullable=False, unique=True),
    Column("name", String(250), nullable=False),
    Column("domain", String(64), nullable=False, unique=True),
    Column("org_id", String(16), ForeignKey("organisations.id"), nullable=True),
    Column("created", Float, nullable=False),
)

# Each workspace's shards (main_0009): the main DB's topology store (router/topology_main.py).
# With `--topology etcd://...` this table stays empty and etcd holds them.
keyspaces = Table(
    "keyspaces",
    main_metadata,
    Column("keyspace", Integer, primary_key=True, autoincrement=False),
    Column("workspace_id", String(16), nullable=False),
    Column("db_shard", String(64), ForeignKey("db_shards.name"), nullable=False),
    Column("ms_shard", String(64), ForeignKey("ms_shards.name"), nullable=False),
    Column("state", String(16), nullable=False, server_default="serving"),
)

# The topology's version: every change of the shard map bumps "shard_map", by
# compare-and-set (router/topology_main.py).
topology_versions = Table(
    "topology_versions",
    main_metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
)

credentials = Table(
    "credentials",
    main_metadata,
    Column("user_id", String(16), primary_key=True),
    Column("workspace_id", String(16), ForeignKey("workspaces.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("password_hash", Text, nullable=True),
    UniqueConstraint("workspace_id", "email", name="uq_credentials_workspace_email"),
    # Signing in without naming a workspace looks the email up everywhere (main_0004).
    Index("ix_credentials_email", "email"),
)

# Only a SHA-256 of each token is stored: tokens are long random secrets, so a fast hash is
# enough to make a leaked table useless, and it keeps the per-request lookup cheap.
tokens = Table(
    "tokens",
    main_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(16), nullable=False, index=True),
    Column("workspace_id", String(16), ForeignKey("workspaces.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # "user" (xoxp) or "bot" (xoxb)
    Column("created", Float, nullable=False),
    Column("revoked", Float, nullable=True),
    # A browser session's token (xoxc, main migration 0004) works only with the session's
    # http-only cookie; this is the cookie's SHA-256. Null for API tokens. Several people
    # signed in in one browser share its cookie (main_0010: found by it).
    Column("session_hash", String(64), nullable=True),
    # An app's token (main_0011): the scopes granted to it, and its app. A person's own
    # tokens (sign-in, the admin CLI) have neither: they act with the person's full rights.
    Column("scopes", JSON, nullable=True),
    Column("app_id", String(16), nullable=True),
    Index("ix_tokens_session", "session_hash"),
    Index("ix_tokens_app", "app_id"),
)

# The workspaces each person belongs to (main_0005): one seat per workspace, the one they
# signed up in first. A person of an organisation may hold seats in several of its
# workspaces, with one id (admin.users.assign); each seat is a users row on that
# workspace's shard. Bots have no seats: they belong to their one workspace.
seats = Table(
    "seats",
    main_metadata,
    Column("user_id", String(16), primary_key=True),
    Column("workspace_id", String(16), ForeignKey("workspaces.id"), primary_key=True),
    Column("joined", Float, nullable=False),
    Index("ix_seats_workspace", "workspace_id"),
)

# Who administers an organisation: its workspaces, seats and shared channels (main_0005).
org_admins = Table(
    "org_admins",
    main_metadata,
    Column("org_id", String(16), ForeignKey("organisations.id"), primary_key=True),
    Column("user_id", String(16), primary_key=True),
    Column("created", Float, nullable=False),
)

# Organisation-wide channels (main_0007): shared with every workspace of the organisation,
# and with each one created later (admin.teams.create).
org_channels = Table(
    "org_channels",
    main_metadata,
    Column("org_id", String(16), ForeignKey("organisations.id"), primary_key=True),
    Column("channel_id", String(16), primary_key=True),
    Column("created", Float, nullable=False),
)

# Slack Connect invitations (main_0006): a channel's home offers it to another
# organisation's workspace, named by id or by one of its people's email. `state` moves from
# "pending" to "accepted", "declined" or "revoked" once; past `expires` it is refused.
shared_invites = Table(
    "shared_invites",
    main_metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", String(16), nullable=False),
    Column("host_workspace_id", String(16), ForeignKey("workspaces.id"), nullable=False),
    Column("inviter_id", String(16), nullable=False),
    Column("target_workspace_id", String(16), nullable=True),
    Column("target_email", String(254), nullable=True),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("state", String(12), nullable=False),
    Column("decided_by", String(16), nullable=True),
    Column("accepted_workspace_id", String(16), nullable=True),
    Column("updated", Float, nullable=False),
    Index("ix_shared_invites_host", "host_workspace_id", "state"),
    Index("ix_shared_invites_target", "target_workspace_id", "state"),
    Index("ix_shared_invites_email", "target_email", "state"),
)

# Incoming webhooks (main migration 0002). The id is the webhook's bot id (B...), as in
# Slack's URLs; the URL's secret is kept only as a SHA-256, like tokens.
webhooks = Table(
    "webhooks",
    main_metadata,
    Column("id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("workspace_id", String(16), ForeignKey("workspaces.id"), nullable=False),
    Column("channel_id", String(16), nullable=False),
    Column("bot_user_id", String(16), nullable=False),  # who the posts are by
    Column("created_by", String(16), nullable=True),  # None when made from the CLI
    Column("created", Float, nullable=False),
    Column("revoked", Float, nullable=True),
)

# Slack apps (main_0011, docs/apps.md), each installed in one workspace from its manifest:
# its bot (a bots row and a bot user on the workspace's shard) and its settings. The
# signing secret is kept as given out: the server signs each delivery with it.
apps = Table(
    "apps",
    main_metadata,
    Column("id", String(16), primary_key=True),
    Column("workspace_id", String(16), ForeignKey("workspaces.id"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("bot_id", String(16), nullable=False),
    Column("bot_user_id", String(16), nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("signing_secret", String(64), nullable=False),
    Column("client_id", String(32), nullable=False),
    Column("client_secret_hash", String(64), nullable=False),
    Column("installed_by", String(16), nullable=True),  # None when made from the CLI
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    Column("uninstalled", Float, nullable=True),
    # When the Request URL last answered Slack's url_verification challenge (None: it has
    # not, and nothing is POSTed to it before it does).
    Column("url_verified", Float, nullable=True),
    # Deliveries to the Request URL stopped after failing too long, and why (as Slack).
    Column("delivery_disabled", Float, nullable=True),
    Column("delivery_error", Text, nullable=True),
    Index("ix_apps_workspace", "workspace_id"),
)

# How far each app has acknowledged its workspace's event log (main_0011): deliveries
# resume after it, so an app that was away receives what it missed.
app_positions = Table(
    "app_positions",
    main_metadata,
    Column("app_id", String(16), ForeignKey("apps.id"), primary_key=True),
    Column("stream", String(64), nullable=False),
    Column("epoch", String(16), nullable=False),
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    # The furthest event sent to the app: sent again after a restart, those up to here
    # are marked as retries.
    Column("sent", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("updated", Float, nullable=False),
)

# ---------------------------------------------------------------------------------------
# Shard: everything inside workspaces. Rows carry the workspace that owns them, or hang
# off a channel (reactions, pins, read markers) that does.
# ---------------------------------------------------------------------------------------
shard_metadata = MetaData()

# A person has one row per workspace they have a seat in, all with the same id: the key is
# (id, workspace_id) since shard_0007, and every query names the workspace.
users = Table(
    "users",
    shard_metadata,
    Column("id", String(16), primary_key=True),
    Column("workspace_id", String(16), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("real_name", String(250), nullable=False, server_default=""),
    Column("display_name", String(250), nullable=False, server_default=""),
    Column("email", String(254), nullable=True),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("is_owner", Boolean, nullable=False, server_default=false()),
    Column("is_bot", Boolean, nullable=False, server_default=false()),
    Column("bot_id", String(16), nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("tz", String(64), nullable=False, server_default="UTC"),
    Column("profile", JSON, nullable=False),
    Column("updated", Float, nullable=False),
    Column("presence", String(8), nullable=False, server_default="auto"),
    UniqueConstraint("workspace_id", "name", name="uq_users_workspace_name"),
)

bots = Table(
    "bots",
    shard_metadata,
    Column("id", String(16), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("user_id", String(16), nullable=False),
    Column("name", String(80), nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated", Float, nullable=False),
)

channels = Table(
    "channels",
    shard_metadata,
    Column("id", String(16), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("name", String(80), nullable=True),  # None for DMs and group DMs
    Column("is_private", Boolean, nullable=False, server_default=false()),
    Column("is_im", Boolean, nullable=False, server_default=false()),
    Column("is_mpim", Boolean, nullable=False, server_default=false()),
    Column("is_general", Boolean, nullable=False, server_default=false()),
    Column("is_archived", Boolean, nullable=False, server_default=false()),
    Column("creator", String(16), nullable=True),
    Column("created", Float, nullable=False),
    Column("topic", Text, nullable=False, server_default=""),
    Column("topic_creator", String(16), nullable=True),
    Column("topic_last_set", Float, nullable=True),
    Column("purpose", Text, nullable=False, server_default=""),
    Column("purpose_creator", String(16), nullable=True),
    Column("purpose_last_set", Float, nullable=True),
    Column("last_ts", String(20), nullable=True),
    # The other workspaces a shared channel is in (shard_0008), null when none:
    # [{"team": "T...", "kind": "org" | "ext"}]. This row, on the channel's home shard, is
    # what every access check reads, so a disconnect takes effect on the next call.
    Column("shared_with", JSON, nullable=True),
    UniqueConstraint("workspace_id", "name", name="uq_channels_workspace_name"),
)

# A workspace's references to the channels other workspaces share with it (shard_0008), on
# the workspace's own shard: listings read them, then the channels at their homes.
channel_refs = Table(
    "channel_refs",
    shard_metadata,
    Column("workspace_id", String(16), primary_key=True),
    Column("channel_id", String(16), primary_key=True),
    Column("host_workspace_id", String(16), nullable=False),
    Column("since", Float, nullable=False),
)

memberships = Table(
    "memberships",
    shard_metadata,
    Column("channel_id", String(16), ForeignKey("channels.id"), primary_key=True),
    Column("user_id", String(16), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("joined", Float, nullable=False),
    Index("ix_memberships_user", "user_id"),
)

messages = Table(
    "messages",
    shard_metadata,
    Column("channel_id", String(16), ForeignKey("channels.id"), primary_key=True),
    Column("ts", String(20), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("user_id", String(16), nullable=True),
    Column("bot_id", String(16), nullable=True),
    Column("subtype", String(32), nullable=True),
    Column("text", Text, nullable=False, server_default=""),
    Column("thread_ts", String(20), nullable=True),
    Column("reply_count", Integer, nullable=False, server_default="0"),
    Column("reply_users", JSON, nullable=True),  # every distinct replier, first ones first
    Column("parent_user_id", String(16), nullable=True),
    Column("latest_reply", String(20), nullable=True),
    Column("reply_broadcast", Boolean, nullable=False, server_default=false()),
    Column("blocks", JSON, nullable=True),
    Column("attachments", JSON, nullable=True),
    Column("client_msg_id", String(64), nullable=True),
    Column("edited_ts", String(20), nullable=True),
    Column("edited_user", String(16), nullable=True),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    # The author's workspace when it is not the channel's (a shared channel; shard_0008).
    Column("user_team", String(16), nullable=True),
    # A bot's own name and icon for the message, and an app's metadata (shard_0010).
    Column("username", String(255), nullable=True),
    Column("icons", JSON, nullable=True),
    Column("metadata", JSON, nullable=True),
    # Slack's file objects of the files shared with the message (shard_0012).
    Column("files", JSON, nullable=True),
    UniqueConstraint("channel_id", "client_msg_id", name="uq_messages_client_msg_id"),
    Index("ix_messages_thread", "channel_id", "thread_ts", "ts"),
)

reactions = Table(
    "reactions",
    shard_metadata,
    Column("channel_id", String(16), primary_key=True),
    Column("ts", String(20), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("user_id", String(16), primary_key=True),
    Column("created", Float, nullable=False),
)

pins = Table(
    "pins",
    shard_metadata,
    Column("channel_id", String(16), primary_key=True),
    Column("ts", String(20), primary_key=True),
    Column("pinned_by", String(16), nullable=False),
    Column("created", Float, nullable=False),
)

# Added by the second shard migration: where each member has read up to in a channel.
read_markers = Table(
    "read_markers",
    shard_metadata,
    Column("channel_id", String(16), primary_key=True),
    Column("user_id", String(16), primary_key=True),
    Column("last_read", String(20), nullable=False),
    Column("updated", Float, nullable=False),
)

# Added by shard_0005: the shard's durable event log (docs/realtime.md). One row in
# event_stream: the log's epoch (new when a log starts over) and the last sequence given out.
# Appending updates that row, so on PostgreSQL writers commit in sequence order.
SEQ = BigInteger().with_variant(Integer, "sqlite")

event_stream = Table(
    "event_stream",
    shard_metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", String(16), nullable=False),
    Column("head", SEQ, nullable=False),
    Column("pruned_through", SEQ, nullable=False),  # events up to here are gone (retention)
)

events = Table(
    "events",
    shard_metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=False),
    Column("workspace_id", String(16), nullable=False),
    Column("scope", String(12), nullable=False),
    Column("channel_id", String(16), nullable=True),
    Column("user_id", String(16), nullable=True),
    Column("membership", String(8), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created", Float, nullable=False),
    # An event of a shared channel: the other workspaces it is relayed to (shard_0008).
    Column("shared_with", JSON, nullable=True),
    Index("ix_events_workspace", "workspace_id", "seq"),
    Index("ix_events_user", "user_id", "seq"),
    Index("ix_events_created", "created"),
)

# How far this shard's log has taken in the shared-channel events of another shard's log
# (shard_0008): one row per source log, advanced in the transaction that appends the copies.
relay_positions = Table(
    "relay_positions",
    shard_metadata,
    Column("source", String(64), primary_key=True),
    Column("epoch", String(16), nullable=False),
    Column("seq", SEQ, nullable=False),
)

# Single-use websocket tickets from rtm.connect / rtm.start (stored hashed, 30 s of life).
rtm_tickets = Table(
    "rtm_tickets",
    shard_metadata,
    Column("ticket_hash", String(64), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("user_id", String(16), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("expires", Float, nullable=False),
    # The log's head when the ticket was issued: a socket without a resume token starts
    # there, so nothing between rtm.start's boot payload and the socket is lost.
    Column("since_epoch", String(16), nullable=False),
    Column("since_seq", SEQ, nullable=False),
    # The token it was asked for with (its SHA-256; shard_0011): the socket ends with it,
    # and a ticket of a revoked token opens nothing.
    Column("token_hash", String(64), nullable=False),
)

# Added by shard_0006: profile photos (users.setPhoto), one per user, stored as uploaded and
# served at /avatars/<user_id>/<hash>.<ext> (docs/webapp.md). The user's profile JSON holds
# the same hash and the image's URL, so reading a profile never loads the image.
avatars = Table(
    "avatars",
    shard_metadata,
    Column("user_id", String(16), primary_key=True),
    Column("hash", String(12), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("image", LargeBinary, nullable=False),
    Column("updated", Float, nullable=False),
)

# Added by shard_0009: what an import (interop/slack_export/importing.py) made of each id of the
# export it read, per workspace: kind "user", "bot" or "channel", the export's id, ours.
# Running the import again finds its people, bots and conversations here.
import_ids = Table(
    "import_ids",
    shard_metadata,
    Column("workspace_id", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("source_id", String(64), primary_key=True),
    Column("local_id", String(16), nullable=False),
    Column("created", Float, nullable=False),
)

# Added by shard_0012: an uploaded file's metadata, on the shard of its uploader's workspace
# (its id's keyspace); its bytes are a blob named by `sha256` (storage/blobs/). `length` is
# what files.getUploadURLExternal was told, `size` what arrived; `upload_hash` the SHA-256
# of the single-use upload URL's secret, cleared once used. `state`: "pending" until the
# bytes arrive, "uploaded", then "complete" once shared; `shares` the [{channel, ts}] of
# the messages it was shared in (docs/files.md).
files = Table(
    "files",
    shard_metadata,
    Column("id", String(16), primary_key=True),
    Column("workspace_id", String(16), nullable=False),
    Column("user_id", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("title", String(255), nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("mimetype", String(100), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("created", Float, nullable=False),
    Column("state", String(16), nullable=False),
    Column("upload_hash", String(64), nullable=True, unique=True),
    Column("shares", JSON, nullable=True),
)
