// The client's state: people, conversations with their read state, loaded messages, and
// what is open. Only this module's functions change it (docs/web-client.md, "State");
// other modules read `state`. Reducers here are idempotent (an API reply and its RTM event
// may both arrive); views subscribe to topics, and changes are coalesced to one
// notification per microtask.

/**
 * @typedef {object} User
 * @property {string} id
 * @property {string} name
 * @property {string} real_name
 * @property {{display_name?: string, real_name?: string, image_48?: string, image_72?: string}} profile
 * @property {string} [team_id]  their workspace; another one for a person of a shared channel
 * @property {boolean} deleted
 * @property {boolean} is_bot
 * @property {string} [presence]  'active' | 'away'
 */

/**
 * @typedef {object} Conversation
 * @property {string} id
 * @property {'public'|'private'|'im'|'mpim'} kind
 * @property {string} name        channel name; '' for DMs (names.js names them)
 * @property {boolean} isMember
 * @property {boolean} isArchived
 * @property {boolean} isGeneral
 * @property {string} user        a DM's other person
 * @property {string[]} members   a group DM's (a channel's are not listed, only counted)
 * @property {number} [numMembers]
 * @property {string} topic
 * @property {string} lastRead    ts read up to
 * @property {string} latestTs    ts of the newest message shown in the channel
 * @property {number} unread
 * @property {number} mentions
 * @property {boolean} isShared
 * @property {string[]} sharedTeams  the workspaces it is in, its home first; [] unless shared
 */

/**
 * @typedef {object} Message  Slack's message object, as the API and RTM send it
 * @property {string} ts
 * @property {string} text
 * @property {string} [user]
 * @property {string} [team]        the author's workspace
 * @property {string} [user_team]   the same, when it is not the channel's home
 * @property {string} [bot_id]
 * @property {string} [username]    a bot's own name for this message
 * @property {{emoji?: string, image_48?: string}} [icons]  a bot's own icon for it
 * @property {string} [subtype]
 * @property {string} [thread_ts]
 * @property {number} [reply_count]
 * @property {{user: string, ts: string}} [edited]
 * @property {{name: string, users: string[], count: number}[]} [reactions]
 */

/** @typedef {{messages: Message[], hasMore: boolean, cursor: string, loading: boolean, loaded: boolean}} History */
/** @typedef {{parent: Message|null, replies: Message[], loaded: boolean}} Thread */

export const state = {
  /** @type {{id: string, name: string}|null} */ self: null,
  /** @type {{id: string, name: string, domain: string}|null} */ team: null,
  /** @type {Map<string, {id: string, name: string, domain: string}>} the person's workspaces */ teams: new Map(),
  /** @type {Map<string, User>} */ users: new Map(),
  /** @type {Map<string, {id: string, name: string}>} */ bots: new Map(),
  /** @type {Map<string, Conversation>} */ conversations: new Map(),
  /** @type {Map<string, History>} */ histories: new Map(),
  /** @type {Map<string, Thread>} key `${channel}/${thread_ts}` */ threads: new Map(),
  /** @type {Map<string, Map<string, number>>} channel -> user -> timer */ typing: new Map(),
  openId: '',
  /** @type {{channel: string, ts: string, at?: string}|null} the open thread; `at`: a permalink's message in it */ thread: null,
  /** @type {{channel: string, ts: string, draft: string, focus: boolean}|null} */ editing: null,
  connection: 'connecting',
};

// -- notifications ----------------------------------------------------------------------

/** @type {Map<string, Set<() => void>>} */
const listeners = new Map();
const pending = new Set();

/** Topics: conversations, users, presence, history (the open one), thread, typing, connection, teams. */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
}

export function off(topic, fn) {
  listeners.get(topic)?.delete(fn);
}

function emit(topic) {
  if (pending.has(topic)) return;
  pending.add(topic);
  if (pending.size === 1) queueMicrotask(flush);
}

function flush() {
  const topics = [...pending];
  pending.clear();
  for (const topic of topics) for (const fn of listeners.get(topic) || []) fn();
}

/** Forget everything (sign out): state, and the listeners of the views that go with it. */
export function reset() {
  listeners.clear();
  pending.clear();
  for (const map of [state.users, state.bots, state.conversations, state.histories, state.threads, state.teams]) map.clear();
  for (const timers of state.typing.values()) for (const timer of timers.values()) clearTimeout(timer);
  state.typing.clear();
  Object.assign(state, { self: null, team: null, openId: '', thread: null, editing: null, connection: 'connecting' });
}

/** The socket's state, for the sidebar (rtm.js's ConnectionState). */
export function setConnection(connection) {
  state.connection = connection;
  emit('connection');
}

// -- what is open: the conversation, the thread, the message being edited ------------------

/** Open a conversation: the thread and the edit of the one before close. */
export function openConversation(id) {
  state.openId = id;
  state.editing = null;
  closeThread();
  emit('conversations');
}

/** Open a thread; `at`: one of its messages to scroll to and mark (a permalink's). */
export function openThread(channel, ts, at = '') {
  state.thread = { channel, ts, at };
  emit('thread');
}

export function closeThread() {
  state.thread = null;
  emit('thread');
}

/** Edit a message in place; the editor takes the focus once (claimEditorFocus). */
export function startEditing(channel, ts, draft) {
  state.editing = { channel, ts, draft, focus: true };
  emit('history');
  emit('thread');
}

export function stopEditing() {
  state.editing = null;
  emit('history');
  emit('thread');
}

/** What is typed in the editor, kept for its redraws; no notice: the editor shows it already. */
export function keepEditDraft(draft) {
  if (state.editing) state.editing.draft = draft;
}

/** True once after startEditing: the editor just drawn should take the focus. */
export function claimEditorFocus() {
  if (!state.editing?.focus) return false;
  state.editing.focus = false;
  return true;
}

// -- people and conversations -----------------------------------------------------------

/**
 * Merge a lean boot (client.boot, sent again on every new socket: docs/edge-cache.md) into
 * the store. It lists only the conversations we are in, and only the people and bots they
 * name: everything else the store has stays (messages, people and bots met since, people of
 * other workspaces, public channels we only look at); a conversation we are no longer in goes.
 */
export function loadBoot(boot) {
  state.self = boot.self;
  state.team = boot.team;
  addObjects({ users: boot.users, bots: boot.bots });
  const seen = new Set();
  for (const raw of [...boot.channels, ...boot.groups, ...boot.ims, ...boot.mpims]) {
    upsertConversation(raw);
    seen.add(raw.id);
  }
  for (const conversation of [...state.conversations.values()]) {
    if (seen.has(conversation.id)) continue;
    if (conversation.kind === 'public') Object.assign(conversation, { isMember: false, unread: 0, mentions: 0 });
    else removeConversation(conversation.id);
  }
  emit('conversations');
}

/**
 * People, bots and conversations as the edge sends them: an `objects` frame (just before
 * the event that names them), the replies to users.info and the searches.
 * @param {{users?: User[], bots?: {id: string, name: string}[], channels?: object[]}} objects
 */
export function addObjects({ users = [], bots = [], channels = [] }) {
  for (const user of users) upsertUser(user);
  for (const bot of bots) state.bots.set(bot.id, bot);
  for (const channel of channels) upsertConversation(channel);
  if (bots.length) emit('users'); // authors' names
}

/** auth.teams.list: the workspaces the person has a seat in (the workspace switcher). */
export function setTeams(teams) {
  state.teams.clear();
  for (const team of teams) state.teams.set(team.id, team);
  emit('teams');
}

/** @param {User} user */
export function upsertUser(user) {
  const presence = user.presence ?? state.users.get(user.id)?.presence;
  state.users.set(user.id, { ...user, presence });
  emit('users');
  emit('conversations');
}

export function setPresence(userId, presence) {
  const user = state.users.get(userId);
  if (!user || user.presence === presence) return;
  state.users.set(userId, { ...user, presence });
  emit('presence'); // not 'users': names and avatars did not change
}

/**
 * Merge a Slack conversation object into the store; fields it lacks keep their value.
 * @returns {Conversation}
 */
export function upsertConversation(raw) {
  const existing = state.conversations.get(raw.id);
  const fresh = {
    id: raw.id,
    kind: raw.is_im ? 'im' : raw.is_mpim ? 'mpim' : raw.is_private || raw.is_group ? 'private' : 'public',
    name: raw.is_im || raw.is_mpim ? '' : raw.name,
    isMember: raw.is_member ?? (raw.is_im || raw.is_mpim ? true : undefined),
    isArchived: raw.is_archived,
    isGeneral: raw.is_general,
    user: raw.user,
    members: raw.members,
    numMembers: raw.num_members,
    topic: raw.topic?.value,
    lastRead: raw.last_read,
    latestTs: raw.latest === undefined ? undefined : raw.latest?.ts ?? '',
    unread: raw.unread_count,
    mentions: raw.mention_count ?? (raw.is_im ? raw.unread_count : undefined),
    isShared: raw.is_shared,
    sharedTeams: raw.is_shared === undefined ? undefined : (raw.is_shared && raw.shared_team_ids) || [],
  };
  const defaults = { name: '', isMember: false, isArchived: false, isGeneral: false, user: '', members: [],
    topic: '', lastRead: '', latestTs: '', unread: 0, mentions: 0, isShared: false, sharedTeams: [] };
  const conversation = Object.assign(existing || defaults, definedOnly(fresh));
  state.conversations.set(raw.id, conversation);
  emit('conversations');
  return conversation;
}

function definedOnly(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** Change some fields of a conversation we know. */
export function patchConversation(id, fields) {
  const conversation = state.conversations.get(id);
  if (!conversation) return;
  Object.assign(conversation, fields);
  emit('conversations');
}

/**
 * Someone joined or left. A group DM lists its members; a channel only counts them
 * (numMembers, from the boot or conversations.info): `count: false` leaves the count alone,
 * for an event the count already reflects. Our own joining is counted once however often
 * it is told.
 */
export function setMembership(id, userId, joined, { count = true } = {}) {
  const conversation = state.conversations.get(id);
  if (!conversation) return;
  const self = userId === state.self?.id;
  if (conversation.kind === 'mpim') {
    const members = conversation.members.filter((m) => m !== userId);
    if (joined) members.push(userId);
    conversation.members = members;
  } else if (count && conversation.numMembers !== undefined && !(self && conversation.isMember === joined)) {
    conversation.numMembers = Math.max(0, conversation.numMembers + (joined ? 1 : -1));
  }
  if (self) conversation.isMember = joined;
  emit('conversations');
}

/**
 * channel_shared / channel_unshared: a workspace joins or leaves a channel. When it is ours
 * that leaves, the channel is gone from here.
 */
export function setSharedTeam(id, teamId, connected) {
  const conversation = state.conversations.get(id);
  if (!conversation) return;
  if (!connected && teamId === state.team?.id) return removeConversation(id);
  // An unshared channel we see is our own: its home is this workspace.
  const teams = conversation.sharedTeams.length ? conversation.sharedTeams : [state.team?.id || ''];
  const next = teams.filter((t) => t !== teamId).concat(connected ? [teamId] : []);
  const shared = next.length > 1;
  patchConversation(id, { isShared: shared, sharedTeams: shared ? next : [] });
}

export function removeConversation(id) {
  state.conversations.delete(id);
  state.histories.delete(id);
  emit('conversations');
}

// -- messages ---------------------------------------------------------------------------

/** A reply shown only in its thread (a broadcast reply also shows in the channel). */
export function isReply(message) {
  return Boolean(message.thread_ts) && message.thread_ts !== message.ts;
}

export function shownInChannel(message) {
  return !isReply(message) || message.subtype === 'thread_broadcast';
}

/** @returns {History} */
export function history(channel) {
  if (!state.histories.has(channel)) {
    state.histories.set(channel, { messages: [], hasMore: true, cursor: '', loading: false, loaded: false });
  }
  return state.histories.get(channel);
}

/** @returns {Thread} */
export function thread(channel, ts) {
  const key = `${channel}/${ts}`;
  if (!state.threads.has(key)) state.threads.set(key, { parent: null, replies: [], loaded: false });
  return state.threads.get(key);
}

/** A page of this history is being fetched (actions.loadHistory): a second ask waits for it. */
export function setHistoryLoading(channel, loading) {
  history(channel).loading = loading;
}

/**
 * After a `limited` hello the loaded messages may have gaps: every history and thread but
 * the open ones is dropped (loaded again when next opened).
 */
export function dropHistoriesNotOpen() {
  for (const id of [...state.histories.keys()]) if (id !== state.openId) state.histories.delete(id);
  const open = state.thread ? `${state.thread.channel}/${state.thread.ts}` : '';
  for (const key of [...state.threads.keys()]) if (key !== open) state.threads.delete(key);
}

/** Put a page of history (newest first, as the API sends it) in place. */
export function addHistoryPage(channel, page, { replace = false } = {}) {
  const h = history(channel);
  if (replace) h.messages = [];
  for (const message of page.messages) if (shownInChannel(message)) insertSorted(h.messages, message);
  h.hasMore = Boolean(page.has_more);
  h.cursor = page.response_metadata?.next_cursor || '';
  h.loaded = true;
  changedHistory(channel);
}

/** A thread as conversations.replies sends it: the root, then the replies. */
export function setThread(channel, ts, messages) {
  const t = thread(channel, ts);
  t.parent = messages.find((m) => m.ts === ts) || null;
  t.replies = messages.filter((m) => m.ts !== ts);
  t.loaded = true;
  emit('thread');
}

/** A new message (posted here or by anyone): into its channel and/or its thread. */
export function addMessage(channel, message) {
  if (shownInChannel(message)) {
    const h = state.histories.get(channel);
    if (h?.loaded) insertSorted(h.messages, message);
    const conversation = state.conversations.get(channel);
    if (conversation && message.ts > conversation.latestTs) patchConversation(channel, { latestTs: message.ts });
    changedHistory(channel);
  }
  if (isReply(message)) addReply(channel, message);
}

function addReply(channel, reply) {
  const t = state.threads.get(`${channel}/${reply.thread_ts}`);
  if (t?.loaded) {
    insertSorted(t.replies, reply);
    emit('thread');
  }
}

/** message_replied: the server's count of a thread, put on its root wherever it is shown. */
export function threadChanged(channel, root) {
  updateMessage(channel, root.ts, (old) => ({
    ...old,
    reply_count: root.reply_count,
    reply_users: root.reply_users,
    reply_users_count: root.reply_users_count,
    latest_reply: root.latest_reply,
  }));
}

/** message_changed: the new version replaces the old wherever it is shown. */
export function replaceMessage(channel, message) {
  updateMessage(channel, message.ts, (old) => ({ ...message, reply_count: message.reply_count ?? old.reply_count }));
}

/** message_deleted, or our own delete succeeding. */
export function removeMessage(channel, ts) {
  const h = state.histories.get(channel);
  if (h) h.messages = h.messages.filter((m) => m.ts !== ts);
  changedHistory(channel);
  for (const [key, t] of state.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    t.replies = t.replies.filter((m) => m.ts !== ts);
    if (t.parent?.ts === ts) t.parent = null;
  }
  if (state.thread?.channel === channel && state.thread.ts === ts) state.thread = null;
  emit('thread');
}

/** Add or remove one person's reaction; no-op if it is already so. */
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

/** Find a loaded message by ts, in the channel or any of its loaded threads. */
export function findMessage(channel, ts) {
  const inHistory = state.histories.get(channel)?.messages.find((m) => m.ts === ts);
  if (inHistory) return inHistory;
  for (const [key, t] of state.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    if (t.parent?.ts === ts) return t.parent;
    const reply = t.replies.find((m) => m.ts === ts);
    if (reply) return reply;
  }
  return undefined;
}

/** Replace a message with `change(message)` everywhere it is loaded (new object: views compare identity). */
function updateMessage(channel, ts, change) {
  const h = state.histories.get(channel);
  const i = h ? h.messages.findIndex((m) => m.ts === ts) : -1;
  if (i >= 0) {
    h.messages[i] = change(h.messages[i]);
    changedHistory(channel);
  }
  for (const [key, t] of state.threads) {
    if (!key.startsWith(`${channel}/`)) continue;
    if (t.parent?.ts === ts) t.parent = change(t.parent);
    const j = t.replies.findIndex((m) => m.ts === ts);
    if (j >= 0) t.replies[j] = change(t.replies[j]);
    emit('thread');
  }
}

/** Insert by ts, replacing a message with the same ts (mostly an append). */
function insertSorted(list, message) {
  let i = list.length;
  while (i > 0 && list[i - 1].ts > message.ts) i -= 1;
  if (i > 0 && list[i - 1].ts === message.ts) list[i - 1] = message;
  else list.splice(i, 0, message);
}

function changedHistory(channel) {
  if (channel === state.openId) emit('history');
}

// -- typing -----------------------------------------------------------------------------

const TYPING_MS = 5000;

export function setTyping(channel, userId) {
  if (!state.typing.has(channel)) state.typing.set(channel, new Map());
  const people = state.typing.get(channel);
  clearTimeout(people.get(userId));
  people.set(userId, setTimeout(() => clearTyping(channel, userId), TYPING_MS));
  emit('typing');
}

export function clearTyping(channel, userId) {
  const people = state.typing.get(channel);
  if (!people?.has(userId)) return;
  clearTimeout(people.get(userId));
  people.delete(userId);
  emit('typing');
}
