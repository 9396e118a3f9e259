// The client's state: people, conversations with their read state, loaded messages, and
// what is open. Only this module's functions change it (docs/web-client.md, "State");
// other modules read `state`. Reducers here are idempotent (an API reply and its RTM event
// may both arrive); views subscribe to topics, and changes are coalesced to one
// notification per microtask.

/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Bot} Bot */
/** @typedef {import('./types.js').Team} Team */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').SlackConversation} SlackConversation */
/**
 * @template T
 * @typedef {import('./types.js').Frozen<T>} Frozen
 */

/**
 * A conversation as the client keeps it (from Slack's: upsertConversation).
 * @typedef {object} Conversation
 * @property {string} id
 * @property {'public'|'private'|'im'|'mpim'} kind
 * @property {string} name        channel name; '' for DMs (names.js names them)
 * @property {boolean} isMember
 * @property {boolean} isArchived
 * @property {boolean} isGeneral
 * @property {string} user        a DM's other person
 * @property {readonly string[]} members   a group DM's (a channel's are not listed, only counted)
 * @property {number} [numMembers]
 * @property {string} topic
 * @property {string} lastRead    ts read up to
 * @property {string} latestTs    ts of the newest message shown in the channel
 * @property {number} unread
 * @property {number} mentions
 * @property {boolean} isShared
 * @property {readonly string[]} sharedTeams  the workspaces it is in, its home first; [] unless shared
 */

/** @typedef {{messages: Message[], hasMore: boolean, cursor: string, loading: boolean, loaded: boolean}} History */
/** @typedef {{parent: Message|null, replies: Message[], loaded: boolean}} Thread */

/**
 * What the store holds; outside this module it is read-only (`state`).
 * @typedef {object} State
 * @property {{id: string, name: string}|null} self
 * @property {Team|null} team
 * @property {Map<string, Team>} teams           the person's workspaces
 * @property {Map<string, User>} users
 * @property {Map<string, Bot>} bots
 * @property {Map<string, Conversation>} conversations
 * @property {Map<string, History>} histories     loaded messages of a conversation
 * @property {Map<string, Thread>} threads        key `${channel}/${thread_ts}`
 * @property {Map<string, Map<string, number>>} typing  channel -> user -> timer
 * @property {string} openId                      the open conversation
 * @property {{channel: string, ts: string, at?: string}|null} thread  the open thread; `at`: a permalink's message in it
 * @property {{channel: string, ts: string, draft: string, focus: boolean}|null} editing  the message edited in place
 * @property {import('./rtm.js').ConnectionState} connection
 */

/** @type {State} the one copy this module writes */
const data = {
  self: null,
  team: null,
  teams: new Map(),
  users: new Map(),
  bots: new Map(),
  conversations: new Map(),
  histories: new Map(),
  threads: new Map(),
  typing: new Map(),
  openId: '',
  thread: null,
  editing: null,
  connection: 'connecting',
};

/**
 * The same object, for every other module to read: writing to it fails the type check
 * (tests/test_webclient.py); change it through the functions below.
 * @type {Frozen<State>}
 */
export const state = data;

/** The signed-in person's id ('' before the boot and after signing out). */
export function selfId() {
  return data.self?.id ?? '';
}

// -- notifications ----------------------------------------------------------------------

/** @typedef {'conversations'|'users'|'presence'|'history'|'thread'|'typing'|'connection'|'teams'} Topic  history: the open conversation's */

/** @type {Map<Topic, Set<() => void>>} */
const listeners = new Map();
/** @type {Set<Topic>} */
const pending = new Set();

/** @param {Topic} topic @param {() => void} fn */
export function on(topic, fn) {
  let fns = listeners.get(topic);
  if (!fns) listeners.set(topic, (fns = new Set()));
  fns.add(fn);
}

/** @param {Topic} topic @param {() => void} fn */
export function off(topic, fn) {
  listeners.get(topic)?.delete(fn);
}

/** @param {Topic} topic */
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
  for (const map of [data.users, data.bots, data.conversations, data.histories, data.threads, data.teams]) map.clear();
  for (const timers of data.typing.values()) for (const timer of timers.values()) clearTimeout(timer);
  data.typing.clear();
  Object.assign(data, { self: null, team: null, openId: '', thread: null, editing: null, connection: 'connecting' });
}

/** The socket's state, for the sidebar. @param {State['connection']} connection */
export function setConnection(connection) {
  data.connection = connection;
  emit('connection');
}

// -- what is open: the conversation, the thread, the message being edited ------------------

/** Open a conversation: the thread and the edit of the one before close. @param {string} id */
export function openConversation(id) {
  data.openId = id;
  data.editing = null;
  closeThread();
  emit('conversations');
}

/**
 * Open a thread; `at`: one of its messages to scroll to and mark (a permalink's).
 * @param {string} channel @param {string} ts @param {string} [at]
 */
export function openThread(channel, ts, at = '') {
  data.thread = { channel, ts, at };
  emit('thread');
}

export function closeThread() {
  data.thread = null;
  emit('thread');
}

/**
 * Edit a message in place; the editor takes the focus once (claimEditorFocus).
 * @param {string} channel @param {string} ts @param {string} draft  the text to start from
 */
export function startEditing(channel, ts, draft) {
  data.editing = { channel, ts, draft, focus: true };
  emit('history');
  emit('thread');
}

export function stopEditing() {
  data.editing = null;
  emit('history');
  emit('thread');
}

/** What is typed in the editor, kept for its redraws; no notice: the editor shows it already. @param {string} draft */
export function keepEditDraft(draft) {
  if (data.editing) data.editing.draft = draft;
}

/** True once after startEditing: the editor just drawn should take the focus. */
export function claimEditorFocus() {
  if (!data.editing?.focus) return false;
  data.editing.focus = false;
  return true;
}

// -- people and conversations -----------------------------------------------------------

/**
 * Merge a lean boot (client.boot, sent again on every new socket: docs/edge-cache.md) into
 * the store. It lists only the conversations we are in, and only the people and bots they
 * name: everything else the store has stays (messages, people and bots met since, people of
 * other workspaces, public channels we only look at); a conversation we are no longer in goes.
 * @param {import('./types.js').Boot} boot
 */
export function loadBoot(boot) {
  data.self = boot.self;
  data.team = boot.team;
  addObjects({ users: boot.users, bots: boot.bots });
  const seen = new Set();
  for (const raw of [...boot.channels, ...boot.groups, ...boot.ims, ...boot.mpims]) {
    upsertConversation(raw);
    seen.add(raw.id);
  }
  for (const conversation of [...data.conversations.values()]) {
    if (seen.has(conversation.id)) continue;
    if (conversation.kind === 'public') Object.assign(conversation, { isMember: false, unread: 0, mentions: 0 });
    else removeConversation(conversation.id);
  }
  emit('conversations');
}

/**
 * People, bots and conversations as the edge sends them: an `objects` frame (just before
 * the event that names them), the replies to users.info and the searches.
 * @param {import('./types.js').Objects} objects
 */
export function addObjects({ users = [], bots = [], channels = [] }) {
  for (const user of users) upsertUser(user);
  for (const bot of bots) data.bots.set(bot.id, bot);
  for (const channel of channels) upsertConversation(channel);
  if (bots.length) emit('users'); // authors' names
}

/** auth.teams.list: the workspaces the person has a seat in (the workspace switcher). @param {Team[]} teams */
export function setTeams(teams) {
  data.teams.clear();
  for (const team of teams) data.teams.set(team.id, team);
  emit('teams');
}

/** @param {User} user */
export function upsertUser(user) {
  const presence = user.presence ?? data.users.get(user.id)?.presence;
  data.users.set(user.id, { ...user, presence });
  emit('users');
  emit('conversations');
}

/** @param {string} userId @param {string} presence */
export function setPresence(userId, presence) {
  const user = data.users.get(userId);
  if (!user || user.presence === presence) return;
  data.users.set(userId, { ...user, presence });
  emit('presence'); // not 'users': names and avatars did not change
}

/**
 * Merge a Slack conversation object into the store; fields it lacks keep their value.
 * @param {SlackConversation} raw
 * @returns {Frozen<Conversation>}
 */
export function upsertConversation(raw) {
  const existing = data.conversations.get(raw.id);
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
  const conversation = /** @type {Conversation} */ (Object.assign(existing || defaults, definedOnly(fresh)));
  data.conversations.set(raw.id, conversation);
  emit('conversations');
  return conversation;
}

/** @param {object} object */
function definedOnly(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** Change some fields of a conversation we know. @param {string} id @param {Partial<Conversation>} fields */
export function patchConversation(id, fields) {
  const conversation = data.conversations.get(id);
  if (!conversation) return;
  Object.assign(conversation, fields);
  emit('conversations');
}

/**
 * Someone joined or left. A group DM lists its members; a channel only counts them
 * (numMembers, from the boot or conversations.info): `count: false` leaves the count alone,
 * for an event the count already reflects. Our own joining is counted once however often
 * it is told.
 * @param {string} id @param {string} userId @param {boolean} joined
 */
export function setMembership(id, userId, joined, { count = true } = {}) {
  const conversation = data.conversations.get(id);
  if (!conversation) return;
  const self = userId === data.self?.id;
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
 * @param {string} id @param {string} teamId @param {boolean} connected
 */
export function setSharedTeam(id, teamId, connected) {
  const conversation = data.conversations.get(id);
  if (!conversation) return;
  if (!connected && teamId === data.team?.id) return removeConversation(id);
  // An unshared channel we see is our own: its home is this workspace.
  const teams = conversation.sharedTeams.length ? conversation.sharedTeams : [data.team?.id || ''];
  const next = teams.filter((t) => t !== teamId).concat(connected ? [teamId] : []);
  const shared = next.length > 1;
  patchConversation(id, { isShared: shared, sharedTeams: shared ? next : [] });
}

/** @param {string} id */
export function removeConversation(id) {
  data.conversations.delete(id);
  data.histories.delete(id);
  emit('conversations');
}

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
  return /** @type {Frozen<History>} */ (historyOf(channel));
}

/** @param {string} channel @returns {History} */
function historyOf(channel) {
  let h = data.histories.get(channel);
  if (!h) data.histories.set(channel, (h = { messages: [], hasMore: true, cursor: '', loading: false, loaded: false }));
  return h;
}

/** A thread's loaded messages (none yet: an empty one, not loaded). @param {string} channel @param {string} ts */
export function thread(channel, ts) {
  return /** @type {Frozen<Thread>} */ (threadOf(channel, ts));
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
 * @param {string} channel @param {import('./types.js').HistoryPage} page
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
 * @returns {Frozen<Message>|undefined}
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
