// RTM events into the store. Each handler is safe to run twice (a reply we applied from the
// API comes back as an event; a resumed socket replays from the last token; the boot may
// already reflect an event that arrived before it: docs/web-client.md, "The boot").
import * as actions from './actions.js';
import { lookUpPeople, lookUpUsers } from './directory.js';
import { pageSeen } from './dom.js';
import * as store from './store.js';
import { state } from './store.js';

/** @typedef {import('./types.js').Message} Message */

/** @type {Record<string, (event: any, held: boolean) => void>} frames are JSON: each handler says what it reads */
const HANDLERS = {
  objects: (e) => store.addObjects(e),
  message: onMessage,
  reaction_added: (e) => onReaction(e, true),
  reaction_removed: (e) => onReaction(e, false),
  channel_created: (e) => {
    if (!state.conversations.has(e.channel.id)) store.upsertConversation({ ...e.channel, is_channel: true, is_member: false });
  },
  channel_rename: onRename,
  group_rename: onRename,
  channel_archive: (e) => store.patchConversation(e.channel, { isArchived: true }),
  group_archive: (e) => store.patchConversation(e.channel, { isArchived: true }),
  channel_unarchive: (e) => store.patchConversation(e.channel, { isArchived: false }),
  group_unarchive: (e) => store.patchConversation(e.channel, { isArchived: false }),
  member_joined_channel: onJoined,
  member_left_channel: onLeft,
  group_joined: (e) => {
    store.upsertConversation({ ...e.channel, is_member: true });
    actions.refreshConversation(e.channel.id); // the event does not count its members
  },
  im_created: (e) => {
    store.upsertConversation({ ...e.channel, is_im: true, is_member: true });
    lookUpUsers([e.channel.user]); // the event names us, not them
  },
  mpim_joined: (e) => {
    store.upsertConversation({ ...e.channel, is_mpim: true, is_member: true });
    actions.ensureConversation(e.channel.id).catch(() => {}); // its members name it
  },
  channel_shared: (e) => onShared(e.channel, e.connected_team_id, true),
  channel_unshared: (e) => onShared(e.channel, e.previously_connected_team_id, false),
  channel_marked: onMarked,
  group_marked: onMarked,
  im_marked: onMarked,
  mpim_marked: onMarked,
  user_change: (e) => store.upsertUser(e.user),
  team_join: (e) => store.upsertUser(e.user),
  user_typing: onTyping,
  presence_change: (e) => {
    for (const id of e.users || [e.user]) store.setPresence(id, e.presence);
  },
};

/**
 * @param {{type: string}} event
 * @param {{held?: boolean}} [options]  held: it arrived before the boot's reply, which
 *   reflects its memberships already
 */
export function handleEvent(event, { held = false } = {}) {
  HANDLERS[event.type]?.(event, held);
}

/** @param {import('./types.js').MessageEvent} e */
function onMessage(e) {
  if (e.subtype === 'message_changed') {
    if (!e.message) return;
    lookUpPeople([e.message]);
    return store.replaceMessage(e.channel, e.message);
  }
  if (e.subtype === 'message_deleted') return store.removeMessage(e.channel, e.deleted_ts || '');
  if (e.subtype === 'message_replied') return e.message && store.threadChanged(e.channel, e.message);
  if (e.hidden) return;
  // Announced in the channel, as Slack does; the event carries the new topic.
  if (e.subtype === 'channel_topic' && typeof e.topic === 'string') store.patchConversation(e.channel, { topic: e.topic });
  const { channel, ...message } = e;
  const known = state.conversations.get(channel);
  // Not newer than the newest we know: the boot's unread counts have it already (they are
  // read from the database, which may be a moment ahead of the socket, or behind it).
  const counted = known !== undefined && message.ts <= known.latestTs;
  if (message.user) store.clearTyping(channel, message.user);
  store.addMessage(channel, message);
  lookUpPeople([message]); // the objects frame before it brought them, normally
  if (counted) return;
  if (!known) {
    actions.ensureConversation(channel).then(() => countUnread(channel, message)).catch(() => {});
  } else {
    countUnread(channel, message);
  }
}

/** Someone else's message in a conversation not in front of you: a badge. @param {string} channel @param {Message} message */
function countUnread(channel, message) {
  const conversation = state.conversations.get(channel);
  if (!conversation?.isMember || !store.shownInChannel(message) || message.user === store.selfId()) return;
  if (channel === state.openId && pageSeen()) {
    actions.markOpenRead();
    return;
  }
  // As in Slack, every message of a DM or group DM is for you.
  const direct = conversation.kind === 'im' || conversation.kind === 'mpim';
  const mentioned = direct || String(message.text).includes(`<@${store.selfId()}>`);
  store.patchConversation(channel, {
    unread: conversation.unread + 1,
    mentions: conversation.mentions + (mentioned ? 1 : 0),
  });
}

/** @param {import('./types.js').ReactionEvent} e @param {boolean} added */
function onReaction(e, added) {
  if (e.item?.type !== 'message') return;
  lookUpUsers([e.user]);
  store.setReaction(e.item.channel, e.item.ts, e.reaction, e.user, added);
}

/** @param {import('./types.js').TypingEvent} e */
function onTyping(e) {
  if (e.user === state.self?.id) return;
  lookUpUsers([e.user]);
  store.setTyping(e.channel, e.user);
}

/**
 * A workspace joins or leaves a shared channel; one shared with us now is fetched.
 * @param {string} channel @param {string} teamId @param {boolean} connected
 */
function onShared(channel, teamId, connected) {
  if (!state.conversations.has(channel) && connected) {
    actions.ensureConversation(channel).catch(() => {});
    return;
  }
  store.setSharedTeam(channel, teamId, connected);
}

/** channel_rename, group_rename. @param {{channel: {id: string, name: string}}} e */
function onRename(e) {
  store.patchConversation(e.channel.id, { name: e.channel.name });
}

/** @param {import('./types.js').MembershipEvent} e @param {boolean} held */
function onJoined(e, held) {
  store.setMembership(e.channel, e.user, true, { count: !held });
  if (e.user !== store.selfId()) return;
  // Joined elsewhere (another tab, an invite) a channel we had not counted.
  if (state.conversations.get(e.channel)?.numMembers === undefined) actions.refreshConversation(e.channel);
}

/** @param {import('./types.js').MembershipEvent} e @param {boolean} held */
function onLeft(e, held) {
  const conversation = state.conversations.get(e.channel);
  store.setMembership(e.channel, e.user, false, { count: !held });
  if (e.user !== store.selfId()) return;
  if (conversation?.kind === 'private') store.removeConversation(e.channel);
  // Our workspace may have been taken out of a shared channel (no channel_unshared comes to
  // the side that leaves): then it is gone from here.
  else if (conversation?.isShared) actions.forgetIfGone(e.channel);
}

/** Read elsewhere (another tab or device): clear the badge if it is read to the end. @param {import('./types.js').MarkedEvent} e */
function onMarked(e) {
  const conversation = state.conversations.get(e.channel);
  if (!conversation) return;
  const fields = e.ts >= conversation.latestTs ? { lastRead: e.ts, unread: 0, mentions: 0 } : { lastRead: e.ts };
  store.patchConversation(e.channel, fields);
}
