// People, workspaces and conversations: the boot merged in, objects upserted, membership,
// sharing and read state.
import { data, emit } from './state.js';

/** @typedef {import('../types.js').User} User */
/** @typedef {import('../types.js').Team} Team */
/** @typedef {import('../types.js').SlackConversation} SlackConversation */
/** @typedef {import('./state.js').Conversation} Conversation */
// -- people and conversations -----------------------------------------------------------

/**
 * Merge a lean boot (client.boot, sent again on every new socket: docs/edge-cache.md) into
 * the store. It lists only the conversations we are in, and only the people and bots they
 * name: everything else the store has stays (messages, people and bots met since, people of
 * other workspaces, public channels we only look at); a conversation we are no longer in goes.
 * @param {import('../types.js').Boot} boot
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
 * @param {import('../types.js').Objects} objects
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
 * @returns {import('../types.js').Frozen<Conversation>}
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
