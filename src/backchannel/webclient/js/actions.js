// What the person does, as Web API calls; each applies its reply to the store at once
// (the RTM event that follows is then a no-op), so the page never waits on the socket.
import { api, ApiError } from './api.js';
import { lookUpPeople, lookUpUsers, searchDirectory } from './directory.js';
import { pageSeen } from './dom.js';
import { escapeText } from './mrkdwn.js';
import { socket } from './rtm.js';
import * as store from './store.js';
import { state } from './store.js';

const PAGE_SIZE = 50;
const TYPING_EVERY_MS = 3000;
const MARK_AFTER_MS = 1000;

/** Signing out or switching workspace: no mark may land afterwards. */
export function resetActions() {
  for (const timer of markTimers.values()) clearTimeout(timer);
  markTimers.clear();
  loading.clear();
  lastTyping.clear();
}

// -- messages ---------------------------------------------------------------------------

/**
 * Post `text` (as typed) in a conversation or, with `threadTs`, in a thread.
 * @param {string} channel @param {string} text
 */
export async function sendMessage(channel, text, threadTs = '') {
  /** @type {Record<string, string>} */
  const args = { channel, text: await encode(text), client_msg_id: crypto.randomUUID() };
  if (threadTs) args.thread_ts = threadTs;
  const reply = await api('chat.postMessage', args);
  const message = { ...reply.message, ts: reply.ts };
  if (threadTs && !message.thread_ts) message.thread_ts = threadTs;
  store.addMessage(channel, message);
}

/** @param {string} channel @param {string} ts @param {string} text */
export async function editMessage(channel, ts, text) {
  const reply = await api('chat.update', { channel, ts, text: await encode(text) });
  const old = store.findMessage(channel, ts);
  if (old) store.replaceMessage(channel, { ...old, text: reply.text, edited: { user: store.selfId(), ts: String(Date.now() / 1000) } });
}

/** @param {string} channel @param {string} ts */
export async function deleteMessage(channel, ts) {
  const old = store.findMessage(channel, ts);
  await api('chat.delete', { channel, ts });
  // A thread's root stays as a tombstone: its message_changed event brings that.
  if (!old?.reply_count) store.removeMessage(channel, ts);
}

/** Toggle the person's own reaction. @param {string} channel @param {string} ts @param {string} name */
export async function toggleReaction(channel, ts, name) {
  const message = store.findMessage(channel, ts);
  const mine = Boolean(message?.reactions?.find((r) => r.name === name)?.users.includes(store.selfId()));
  try {
    await api(mine ? 'reactions.remove' : 'reactions.add', { channel, timestamp: ts, name });
  } catch (err) {
    // Another tab got there first: the end state is what was wanted.
    if (!(err instanceof ApiError) || !['already_reacted', 'no_reaction'].includes(err.code)) throw err;
  }
  store.setReaction(channel, ts, name, store.selfId(), !mine);
}

const HANDLE = /(^|\s)@([\w][\w.-]*)/g;
const BROADCASTS = ['here', 'channel', 'everyone'];

/**
 * Slack's clients escape &, <, > and turn @handle (and @here...) into real mentions. A
 * handle of someone the store does not have yet is looked for first (users.search).
 * @param {string} text
 */
async function encode(text) {
  const unknown = new Set();
  for (const [, , handle] of text.matchAll(HANDLE)) {
    const bare = bareHandle(handle);
    if (!BROADCASTS.includes(bare) && !findByHandle(bare)) unknown.add(bare);
  }
  await Promise.all([...unknown].map((handle) => searchDirectory(handle, { channels: false })));
  return escapeText(text).replace(HANDLE, (whole, space, handle) => {
    const bare = bareHandle(handle);
    const rest = handle.slice(bare.length);
    if (BROADCASTS.includes(bare)) return `${space}<!${bare}>${rest}`;
    const user = findByHandle(bare);
    return user ? `${space}<@${user.id}>${rest}` : whole;
  });
}

/** "@bob." at the end of a sentence names bob. @param {string} handle */
function bareHandle(handle) {
  return handle.replace(/[.-]+$/, '');
}

/** @param {string} handle */
function findByHandle(handle) {
  const wanted = handle.toLowerCase();
  for (const user of state.users.values()) {
    if (user.deleted) continue;
    if (user.name.toLowerCase() === wanted || user.profile?.display_name?.toLowerCase() === wanted) return user;
  }
  return null;
}

// -- history ----------------------------------------------------------------------------

/** @type {Map<string, Promise<void>>} the page of each conversation being fetched: a second ask waits for it */
const loading = new Map();

/**
 * Load the newest page (`replace`: drop what we had, after a `limited` reconnect) or the next older one.
 * @param {string} channel
 */
export async function loadHistory(channel, { older = false, replace = false } = {}) {
  const h = store.history(channel);
  if (h.loading) return loading.get(channel);
  if ((older && !h.hasMore) || (h.loaded && !older && !replace)) return;
  store.setHistoryLoading(channel, true);
  const load = (async () => {
    /** @type {Record<string, string|number>} */
    const args = { channel, limit: PAGE_SIZE };
    if (older && h.cursor) args.cursor = h.cursor;
    const page = await api('conversations.history', args);
    await lookUpPeople(page.messages); // so the page shows names, not ids
    store.addHistoryPage(channel, page, { replace });
  })();
  loading.set(channel, load);
  try {
    await load;
  } finally {
    store.setHistoryLoading(channel, false);
    loading.delete(channel);
  }
}

/** Older pages until the history reaches message `ts` (a permalink's), or its start. @param {string} channel @param {string} ts */
export async function loadHistoryUntil(channel, ts) {
  const h = store.history(channel);
  while (h.hasMore && !(h.messages.length && h.messages[0].ts <= ts)) {
    await loadHistory(channel, { older: true });
  }
}

/** @param {string} channel @param {string} ts */
export async function loadThread(channel, ts) {
  const reply = await api('conversations.replies', { channel, ts, limit: 1000 });
  await lookUpPeople(reply.messages);
  store.setThread(channel, ts, reply.messages);
}

// -- conversations ----------------------------------------------------------------------

/**
 * Make sure the store knows a conversation (one opened elsewhere, a link to a channel), and
 * the people who name it (a DM's, a group DM's).
 * @param {string} id
 */
export async function ensureConversation(id) {
  let conversation = state.conversations.get(id);
  if (!conversation || (conversation.kind === 'mpim' && !conversation.members.length)) {
    const { channel } = await api('conversations.info', { channel: id, include_num_members: true });
    conversation = store.upsertConversation(channel);
  }
  if (conversation.kind === 'mpim' && !conversation.members.length) {
    const { members } = await api('conversations.members', { channel: id });
    store.patchConversation(id, { members });
  }
  await lookUpUsers(conversation.kind === 'im' ? [conversation.user] : conversation.members);
  return conversation;
}

/** Fetch a conversation's details (its member count) again; a failure only costs the count. @param {string} id */
export async function refreshConversation(id) {
  try {
    const { channel } = await api('conversations.info', { channel: id, include_num_members: true });
    store.upsertConversation(channel);
  } catch {
    // The header shows no count, or an old one.
  }
}

/** Fetch a conversation again; one this workspace no longer sees leaves the store. @param {string} id */
export async function forgetIfGone(id) {
  try {
    store.upsertConversation((await api('conversations.info', { channel: id })).channel);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'channel_not_found') store.removeConversation(id);
  }
}

/**
 * @param {string} name @param {boolean} isPrivate
 * @returns {Promise<string>} its id
 */
export async function createChannel(name, isPrivate) {
  const { channel } = await api('conversations.create', { name, is_private: isPrivate });
  store.upsertConversation({ ...channel, is_member: true });
  store.setMembership(channel.id, store.selfId(), true);
  return channel.id;
}

/** @param {string} id */
export async function joinChannel(id) {
  const { channel } = await api('conversations.join', { channel: id });
  store.setMembership(id, store.selfId(), true); // first: it counts us in if not yet
  store.upsertConversation({ ...channel, is_member: true });
}

/** @param {string} id */
export async function leaveChannel(id) {
  await api('conversations.leave', { channel: id });
  const conversation = state.conversations.get(id);
  store.setMembership(id, store.selfId(), false);
  if (conversation?.kind === 'private') store.removeConversation(id);
}

/** The DM with these people (opened if need be); its id. @param {string[]} userIds @returns {Promise<string>} */
export async function openDm(userIds) {
  const { channel } = await api('conversations.open', { users: userIds.join(','), return_im: true });
  await ensureConversation(channel.id);
  return channel.id;
}

// -- read state and typing --------------------------------------------------------------

/** @type {Map<string, number>} */
const markTimers = new Map();

/** The open conversation is being seen: clear its badges, and tell the server (debounced). */
export function markOpenRead() {
  const conversation = state.conversations.get(state.openId);
  if (!conversation?.isMember || !pageSeen()) return;
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

/** @type {Map<string, number>} */
const lastTyping = new Map();

/** Tell the others we are typing, at most every 3 s per conversation. @param {string} channel */
export function typing(channel) {
  const now = Date.now();
  if (now - (lastTyping.get(channel) || 0) < TYPING_EVERY_MS) return;
  lastTyping.set(channel, now);
  socket()?.send({ type: 'typing', channel });
}

// -- threads ----------------------------------------------------------------------------

/** Open a thread (store.openThread) and load it if it is not yet. @param {string} channel @param {string} ts */
export async function openThread(channel, ts, { at = '' } = {}) {
  store.openThread(channel, ts, at);
  if (!store.thread(channel, ts).loaded) await loadThread(channel, ts);
}
