// Loaded messages: each conversation's history and each thread, edits, deletes, reactions,
// and who is typing.
import { patchConversation } from './conversations.js';
import { data, emit } from './state.js';

/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('./state.js').History} History */
/** @typedef {import('./state.js').Thread} Thread */
// -- messages ---------------------------------------------------------------------------

/** A reply shown only in its thread (a broadcast reply also shows in the channel). @param {Message} message */
export function isReply(message) {
  return Boolean(message.thread_ts) && message.thread_ts !== message.ts;
}

/** @param {Message} message */
export function shownInChannel(message) {
  return !isReply(message) || message.subtype === 'thread_broadcast';
}

/** A conversation's loaded messages (none yet: an empty one, not loaded). @param {string} channel */
export function history(channel) {
  return /** @type {import('../types.js').Frozen<History>} */ (historyOf(channel));
}

/** @param {string} channel @returns {History} */
function historyOf(channel) {
  let h = data.histories.get(channel);
  if (!h) data.histories.set(channel, (h = { messages: [], hasMore: true, cursor: '', loading: false, loaded: false }));
  return h;
}

/** A thread's loaded messages (none yet: an empty one, not loaded). @param {string} channel @param {string} ts */
export function thread(channel, ts) {
  return /** @type {import('../types.js').Frozen<Thread>} */ (threadOf(channel, ts));
}

/** @param {string} channel @param {string} ts @returns {Thread} */
function threadOf(channel, ts) {
  const key = `${channel}/${ts}`;
  let t = data.threads.get(key);
  if (!t) data.threads.set(key, (t = { parent: null, replies: [], loaded: false }));
  return t;
}

/**
 * A page of this history is being fetched (actions.loadHistory): a second ask waits for it.
 * @param {string} channel @param {boolean} loading
 */
export function setHistoryLoading(channel, loading) {
  historyOf(channel).loading = loading;
}

/**
 * After a `limited` hello the loaded messages may have gaps: every history and thread but
 * the open ones is dropped (loaded again when next opened).
 */
export function dropHistoriesNotOpen() {
  for (const id of [...data.histories.keys()]) if (id !== data.openId) data.histories.delete(id);
  const open = data.thread ? `${data.thread.channel}/${data.thread.ts}` : '';
  for (const key of [...data.threads.keys()]) if (key !== open) data.threads.delete(key);
}

/**
 * Put a page of history (newest first, as the API sends it) in place.
 * @param {string} channel @param {import('../types.js').HistoryPage} page
 */
export function addHistoryPage(channel, page, { replace = false } = {}) {
  const h = historyOf(channel);
  if (replace) h.messages = [];
  for (const message of page.messages) if (shownInChannel(message)) insertSorted(h.messages, message);
  h.hasMore = Boolean(page.has_more);
  h.cursor = page.response_metadata?.next_cursor || '';
  h.loaded = true;
  changedHistory(channel);
}

/**
 * A thread as conversations.replies sends it: the root, then the replies.
 * @param {string} channel @param {string} ts @param {Message[]} messages
 */
export function setThread(channel, ts, messages) {
  const t = threadOf(channel, ts);
  t.parent = messages.find((m) => m.ts === ts) || null;
  t.replies = messages.filter((m) => m.ts !== ts);
  t.loaded = true;
  emit('thread');
}

/** A new message (posted here or by anyone): into its channel and/or its thread. @param {string} channel @param {Message} message */
export function addMessage(channel, message) {
  if (shownInChannel(message)) {
    const h = data.histories.get(channel);
    if (h?.loaded) insertSorted(h.messages, message);
    const conversation = data.conversations.get(channel);
    if (conversation && message.ts > conversation.latestTs) patchConversation(channel, { latestTs: message.ts });
    changedHistory(channel);
  }
  if (isReply(message)) addReply(channel, message);
}

/** @param {string} channel @param {Message} reply */
function addReply(channel, reply) {
  const t = data.threads.get(`${channel}/${reply.thread_ts}`);
  if (t?.loaded) {
    insertSorted(t.replies, reply);
    emit('thread');
  }
}

/** message_replied: the server's count of a thread, put on its root wherever it is shown. @param {string} channel @param {Message} root */
export function threadChanged(channel, root) {
  updateMessage(channel, root.ts, (old) => ({
    ...old,
    reply_count: root.reply_count,
    reply_users: root.reply_users,
    reply_users_count: root.reply_users_count,
    latest_reply: root.latest_reply,
  }));
}

/** message_changed: the new version replaces the old wherever it is shown. @param {string} channel @param {Message} message */
export function replaceMessage(channel, message) {
  updateMessage(channel, message.ts, (old) => ({ ...message, reply_count: message.reply_count ?? old.reply_count }));
}

/** message_deleted, or our own delete succeeding. @param {string} channel @param {string} ts */
export function removeMessage(channel, ts) {
  const h = data.histories.get(channel);
  if (h) h.messages = h.messages.filter((m) => m.ts !== ts);
  changedHistory(channel);
  for (const [key, t] of data.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    t.replies = t.replies.filter((m) => m.ts !== ts);
    if (t.parent?.ts === ts) t.parent = null;
  }
  if (data.thread?.channel === channel && data.thread.ts === ts) data.thread = null;
  emit('thread');
}

/**
 * Add or remove one person's reaction; no-op if it is already so.
 * @param {string} channel @param {string} ts @param {string} name @param {string} userId @param {boolean} added
 */
export function setReaction(channel, ts, name, userId, added) {
  updateMessage(channel, ts, (message) => {
    const reactions = (message.reactions || []).map((r) => ({ ...r, users: [...r.users] }));
    let reaction = reactions.find((r) => r.name === name);
    if (!reaction) reactions.push((reaction = { name, users: [], count: 0 }));
    const has = reaction.users.includes(userId);
    if (has === added) return message;
    reaction.users = added ? [...reaction.users, userId] : reaction.users.filter((u) => u !== userId);
    reaction.count = Math.max(0, reaction.count + (added ? 1 : -1));
    return { ...message, reactions: reactions.filter((r) => r.count > 0) };
  });
}

/**
 * Find a loaded message by ts, in the channel or any of its loaded threads.
 * @param {string} channel @param {string} ts
 * @returns {import('../types.js').Frozen<Message>|undefined}
 */
export function findMessage(channel, ts) {
  const inHistory = data.histories.get(channel)?.messages.find((m) => m.ts === ts);
  if (inHistory) return inHistory;
  for (const [key, t] of data.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    if (t.parent?.ts === ts) return t.parent;
    const reply = t.replies.find((m) => m.ts === ts);
    if (reply) return reply;
  }
  return undefined;
}

/**
 * Replace a message with `change(message)` everywhere it is loaded (new object: views compare identity).
 * @param {string} channel @param {string} ts @param {(old: Message) => Message} change
 */
function updateMessage(channel, ts, change) {
  const h = data.histories.get(channel);
  const i = h ? h.messages.findIndex((m) => m.ts === ts) : -1;
  if (h && i >= 0) {
    h.messages[i] = change(h.messages[i]);
    changedHistory(channel);
  }
  for (const [key, t] of data.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    if (t.parent?.ts === ts) t.parent = change(t.parent);
    const j = t.replies.findIndex((m) => m.ts === ts);
    if (j >= 0) t.replies[j] = change(t.replies[j]);
    emit('thread');
  }
}

/** Insert by ts, replacing a message with the same ts (mostly an append). @param {Message[]} list @param {Message} message */
function insertSorted(list, message) {
  let i = list.length;
  while (i > 0 && list[i - 1].ts > message.ts) i -= 1;
  if (i > 0 && list[i - 1].ts === message.ts) list[i - 1] = message;
  else list.splice(i, 0, message);
}

/** @param {string} channel */
function changedHistory(channel) {
  if (channel === data.openId) emit('history');
}

// -- typing -----------------------------------------------------------------------------

const TYPING_MS = 5000;

/** @param {string} channel @param {string} userId */
export function setTyping(channel, userId) {
  let people = data.typing.get(channel);
  if (!people) data.typing.set(channel, (people = new Map()));
  clearTimeout(people.get(userId));
  people.set(userId, setTimeout(() => clearTyping(channel, userId), TYPING_MS));
  emit('typing');
}

/** @param {string} channel @param {string} userId */
export function clearTyping(channel, userId) {
  const people = data.typing.get(channel);
  if (!people?.has(userId)) return;
  clearTimeout(people.get(userId));
  people.delete(userId);
  emit('typing');
}
