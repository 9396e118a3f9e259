// What the lean boot left out, asked of the edge on the socket (docs/edge-cache.md): the
// people and bots a message or a conversation names (users.info, bots.info), and people and
// channels by name (users.search, channels.search). Whatever comes goes into the store.
import { api, ApiError } from './api.js';
import { socket } from './rtm.js';
import * as store from './store.js';
import { state } from './store.js';

const SYSTEM_USER = 'USLACKBOT';
const MENTION = /<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g;
const MAX_IDS = 100; // per users.info or bots.info frame
const SEARCH_LIMIT = 20;
/** @type {Map<string, Promise<void>>} each id is asked once per session: a failure is not retried */
const lookups = new Map();
/** @type {Map<string, 'users'|'bots'>} ids waiting for the next lookup, and which kind */
const queued = new Map();
/** @type {Promise<void>|null} the lookup the queued ids go out with */
let nextLookup = null;
let generation = 0;
/** Signing out or switching workspace: no late lookup may land afterwards. */
export function resetDirectory() {
  generation += 1;
  lookups.clear();
  queued.clear();
}

/**
 * People and bots these messages show (authors, reactions, mentions) that the store does
 * not have: the lean boot did not send them (history), or they are of another workspace.
 * Resolves once they are in the store (or could not be found: the id shows).
 * @param {import('./store.js').Message[]} messages
 * @returns {Promise<void>}
 */
export function lookUpPeople(messages) {
  const users = new Set();
  const bots = [];
  for (const message of messages) {
    if (message.user) users.add(message.user);
    if (message.bot_id) bots.push(message.bot_id);
    for (const reaction of message.reactions || []) for (const id of reaction.users) users.add(id);
    for (const [, id] of String(message.text || '').matchAll(MENTION)) users.add(id);
  }
  return Promise.all([lookUpUsers(users), lookUp(bots, 'bots')]).then(() => {});
}

/**
 * @param {Iterable<string>} ids
 * @returns {Promise<void>}
 */
export function lookUpUsers(ids) {
  return lookUp(ids, 'users');
}

/**
 * Ask for the ids the store lacks; everything asked in this task goes out together
 * (users.info and bots.info on the socket, at most 100 ids a frame). Resolves when the
 * lookups of these ids (this one, or an earlier one) are done.
 * @param {Iterable<string>} ids
 * @param {'users'|'bots'} kind
 * @returns {Promise<void>}
 */
function lookUp(ids, kind) {
  const known = kind === 'users' ? state.users : state.bots;
  const waits = new Set();
  for (const id of ids) {
    if (!id || id === SYSTEM_USER || known.has(id)) continue;
    if (!lookups.has(id)) {
      queued.set(id, kind);
      nextLookup ||= Promise.resolve().then(sendLookups);
      lookups.set(id, nextLookup);
    }
    waits.add(lookups.get(id));
  }
  return Promise.all(waits).then(() => {});
}

async function sendLookups() {
  nextLookup = null;
  const mine = generation;
  /** @type {{users: string[], bots: string[]}} */
  const wanted = { users: [], bots: [] };
  for (const [id, kind] of queued) wanted[kind].push(id);
  queued.clear();
  const asked = [];
  for (const kind of /** @type {const} */ (['users', 'bots'])) {
    for (let at = 0; at < wanted[kind].length; at += MAX_IDS) {
      asked.push(askEdge(kind, wanted[kind].slice(at, at + MAX_IDS), mine));
    }
  }
  await Promise.all(asked);
}

/**
 * users.info or bots.info on the socket; without one, the Web API's users.info, one by one.
 * @param {'users'|'bots'} kind @param {string[]} ids @param {number} mine  the generation asking
 */
async function askEdge(kind, ids, mine) {
  const connection = socket();
  if (!connection) return;
  let reply;
  try {
    reply = await connection.request({ type: `${kind}.info`, [kind]: ids });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'network_error' && kind === 'users') await askWebApi(ids, mine);
    return;
  }
  if (mine === generation) store.addObjects({ [kind]: reply[kind] });
}

/** @param {string[]} userIds @param {number} mine */
async function askWebApi(userIds, mine) {
  await Promise.all(userIds.map((user) => api('users.info', { user })
    .then((reply) => mine === generation && store.upsertUser(reply.user))
    .catch(() => {})));
}

/**
 * People and channels whose names start with `word` (users.search and channels.search on
 * the socket), into the store: the quick switcher and mentions find what the boot left out.
 * Nothing without a socket.
 * @param {string} word
 * @returns {Promise<void>}
 */
export async function searchDirectory(word, { people = true, channels = true } = {}) {
  const connection = socket();
  if (!connection) return;
  const mine = generation;
  /** @type {(type: string, wanted: boolean) => Promise<any>} */
  const ask = (type, wanted) => (wanted ? connection.request({ type, query: word, limit: SEARCH_LIMIT }) : Promise.resolve({}));
  const [found, rooms] = await Promise.allSettled([ask('users.search', people), ask('channels.search', channels)]);
  if (mine !== generation) return;
  store.addObjects({
    users: found.status === 'fulfilled' ? found.value.users : [],
    channels: rooms.status === 'fulfilled' ? rooms.value.channels : [],
  });
}
