// What the person does, as Web API calls; each applies its reply to the store at once
// (the RTM event that follows is then a no-op), so the page never waits on the socket.
import { api, ApiError } from './api.js';
import { escapeText } from './mrkdwn.js';
import * as store from './store.js';
import { state } from './store.js';

const PAGE_SIZE = 50;
const TYPING_EVERY_MS = 3000;
const MARK_AFTER_MS = 1000;

/** @type {import('./rtm.js').Rtm|null} */
let rtm = null;
export function useRtm(connection) {
  rtm = connection;
}

/** Signing out or switching workspace: no mark, typing frame or late lookup may land afterwards. */
export function resetActions() {
  rtm = null;
  generation += 1;
  lookedUp.clear();
  for (const timer of markTimers.values()) clearTimeout(timer);
  markTimers.clear();
  lastTyping.clear();
}

// -- messages ---------------------------------------------------------------------------

/** Post `text` (as typed) in a conversation or, with `threadTs`, in a thread. */
export async function sendMessage(channel, text, threadTs = '') {
  const args = { channel, text: encode(text), client_msg_id: crypto.randomUUID() };
  if (threadTs) args.thread_ts = threadTs;
  const reply = await api('chat.postMessage', args);
  const message = { ...reply.message, ts: reply.ts };
  if (threadTs && !message.thread_ts) message.thread_ts = threadTs;
  store.addMessage(channel, message);
}

export async function editMessage(channel, ts, text) {
  const reply = await api('chat.update', { channel, ts, text: encode(text) });
  const old = store.findMessage(channel, ts);
  if (old) store.replaceMessage(channel, { ...old, text: reply.text, edited: { user: state.self.id, ts: String(Date.now() / 1000) } });
}

export async function deleteMessage(channel, ts) {
  const old = store.findMessage(channel, ts);
  await api('chat.delete', { channel, ts });
  // A thread's root stays as a tombstone: its message_changed event brings that.
  if (!old?.reply_count) store.removeMessage(channel, ts);
}

/** Toggle the person's own reaction. */
export async function toggleReaction(channel, ts, name) {
  const message = store.findMessage(channel, ts);
  const mine = Boolean(message?.reactions?.find((r) => r.name === name)?.users.includes(state.self.id));
  try {
    await api(mine ? 'reactions.remove' : 'reactions.add', { channel, timestamp: ts, name });
  } catch (err) {
    // Another tab got there first: the end state is what was wanted.
    if (!(err instanceof ApiError) || !['already_reacted', 'no_reaction'].includes(err.code)) throw err;
  }
  store.setReaction(channel, ts, name, state.self.id, !mine);
}

/** Slack's clients escape &, <, > and turn @handle (and @here...) into real mentions. */
function encode(text) {
  return escapeText(text).replace(/(^|\s)@([\w][\w.-]*)/g, (whole, space, handle) => {
    const bare = handle.replace(/[.-]+$/, '');
    const rest = handle.slice(bare.length);
    if (['here', 'channel', 'everyone'].includes(bare)) return `${space}<!${bare}>${rest}`;
    const user = findByHandle(bare);
    return user ? `${space}<@${user.id}>${rest}` : whole;
  });
}

function findByHandle(handle) {
  const wanted = handle.toLowerCase();
  for (const user of state.users.values()) {
    if (user.deleted) continue;
    if (user.name.toLowerCase() === wanted || user.profile?.display_name?.toLowerCase() === wanted) return user;
  }
  return null;
}

// -- people of other workspaces ---------------------------------------------------------

const SYSTEM_USER = 'USLACKBOT';
const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;
const lookedUp = new Set();
let generation = 0;

/**
 * People these messages show (authors, reactions, mentions) that the boot did not list: in
 * a shared channel, people of another workspace. users.info names them, once each.
 * @param {import('./store.js').Message[]} messages
 */
export function lookUpPeople(messages) {
  const ids = new Set();
  for (const message of messages) {
    if (message.user) ids.add(message.user);
    for (const reaction of message.reactions || []) for (const id of reaction.users) ids.add(id);
    for (const [, id] of String(message.text || '').matchAll(MENTION)) ids.add(id);
  }
  lookUpUsers(ids);
}

/** @param {Iterable<string>} ids */
export function lookUpUsers(ids) {
  const mine = generation;
  for (const id of ids) {
    if (!id || id === SYSTEM_USER || state.users.has(id) || lookedUp.has(id)) continue;
    lookedUp.add(id); // a failure is not retried: the id shows instead of a name
    api('users.info', { user: id })
      .then(({ user }) => mine === generation && store.upsertUser(user))
      .catch(() => {});
  }
}

// -- history ----------------------------------------------------------------------------

/** Load the newest page (`replace`: drop what we had, after a `limited` reconnect) or the next older one. */
export async function loadHistory(channel, { older = false, replace = false } = {}) {
  const h = store.history(channel);
  if (h.loading || (older && !h.hasMore) || (h.loaded && !older && !replace)) return;
  h.loading = true;
  try {
    const args = { channel, limit: PAGE_SIZE };
    if (older && h.cursor) args.cursor = h.cursor;
    const page = await api('conversations.history', args);
    store.addHistoryPage(channel, page, { replace });
    lookUpPeople(page.messages);
  } finally {
    h.loading = false;
  }
}

export async function loadThread(channel, ts) {
  const reply = await api('conversations.replies', { channel, ts, limit: 1000 });
  store.setThread(channel, ts, reply.messages);
  lookUpPeople(reply.messages);
}

// -- conversations ----------------------------------------------------------------------

/** Make sure the store knows a conversation (one opened elsewhere, a link to a channel). */
export async function ensureConversation(id) {
  const known = state.conversations.get(id);
  if (known && (known.kind !== 'mpim' || known.members.length)) return known;
  const { channel } = await api('conversations.info', { channel: id, include_num_members: true });
  const conversation = store.upsertConversation(channel);
  if (conversation.kind === 'mpim' && !conversation.members.length) {
    const { members } = await api('conversations.members', { channel: id });
    store.patchConversation(id, { members });
  }
  return conversation;
}

/** Fetch a conversation's details again, and its members if we are one; failures only cost a count. */
export async function refreshConversation(id, { members = false } = {}) {
  try {
    const { channel } = await api('conversations.info', { channel: id, include_num_members: true });
    store.upsertConversation(channel);
    if (members) store.patchConversation(id, { members: (await api('conversations.members', { channel: id })).members });
  } catch {
    // The header shows no count, or an old one.
  }
}

/** Fetch a conversation again; one this workspace no longer sees leaves the store. */
export async function forgetIfGone(id) {
  try {
    store.upsertConversation((await api('conversations.info', { channel: id })).channel);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'channel_not_found') store.removeConversation(id);
  }
}

export async function createChannel(name, isPrivate) {
  const { channel } = await api('conversations.create', { name, is_private: isPrivate });
  store.upsertConversation({ ...channel, is_member: true });
  store.setMembership(channel.id, state.self.id, true);
  return channel.id;
}

export async function joinChannel(id) {
  const { channel } = await api('conversations.join', { channel: id });
  store.upsertConversation({ ...channel, is_member: true });
  store.setMembership(id, state.self.id, true);
}

export async function leaveChannel(id) {
  await api('conversations.leave', { channel: id });
  const conversation = state.conversations.get(id);
  store.setMembership(id, state.self.id, false);
  if (conversation?.kind === 'private') store.removeConversation(id);
}

/** The DM with these people (opened if need be); its id. */
export async function openDm(userIds) {
  const { channel } = await api('conversations.open', { users: userIds.join(','), return_im: true });
  await ensureConversation(channel.id);
  return channel.id;
}

// -- read state and typing --------------------------------------------------------------

const markTimers = new Map();

/** The open conversation is being seen: clear its badges, and tell the server (debounced). */
export function markOpenRead() {
  const conversation = state.conversations.get(state.openId);
  if (!conversation?.isMember || !document.hasFocus() || document.visibilityState !== 'visible') return;
  if (conversation.unread || conversation.mentions) {
    store.patchConversation(conversation.id, { unread: 0, mentions: 0 });
  }
  if (!conversation.latestTs || conversation.latestTs <= conversation.lastRead) return;
  const id = conversation.id;
  clearTimeout(markTimers.get(id));
  markTimers.set(id, setTimeout(() => {
    markTimers.delete(id);
    const ts = state.conversations.get(id)?.latestTs;
    if (!ts) return;
    store.patchConversation(id, { lastRead: ts });
    api('conversations.mark', { channel: id, ts }).catch(() => {}); // the next view marks again
  }, MARK_AFTER_MS));
}

const lastTyping = new Map();

/** Tell the others we are typing, at most every 3 s per conversation. */
export function typing(channel) {
  const now = Date.now();
  if (now - (lastTyping.get(channel) || 0) < TYPING_EVERY_MS) return;
  lastTyping.set(channel, now);
  rtm?.send({ type: 'typing', channel });
}

// -- threads and editing: view state that several panels share --------------------------

export async function openThread(channel, ts) {
  state.thread = { channel, ts };
  store.emit('thread');
  if (!store.thread(channel, ts).loaded) await loadThread(channel, ts);
}

export function closeThread() {
  state.thread = null;
  store.emit('thread');
}

export function startEditing(channel, message, draft) {
  state.editing = { channel, ts: message.ts, draft, focus: true };
  store.emit('history');
  store.emit('thread');
}

export function stopEditing() {
  state.editing = null;
  store.emit('history');
  store.emit('thread');
}
