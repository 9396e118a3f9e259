// The store's state and its change notices; the functions that change it are beside it
// (open.js, conversations.js, messages.js), and store.js is the one door to them all.

/** @typedef {import('../types.js').User} User */
/** @typedef {import('../types.js').Bot} Bot */
/** @typedef {import('../types.js').Team} Team */
/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../types.js').SlackConversation} SlackConversation */
/**
 * @template T
 * @typedef {import('../types.js').Frozen<T>} Frozen
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
 * @property {import('../rtm.js').ConnectionState} connection
 */

/** @type {State} the one copy the store writes (store/*.js only: tests/test_webclient.py) */
export const data = {
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
export function emit(topic) {
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
