// How people and conversations are named on screen.
import { state } from './store.js';

/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./store.js').Conversation} Conversation */

const SYSTEM_USER = 'USLACKBOT'; // Slack's author of what nobody wrote (a deleted thread's root)

/** Slack's order: the display name a person chose, else their full name, else the handle. @param {string} id */
export function userName(id) {
  const user = state.users.get(id);
  if (!user) return state.bots.get(id)?.name || id || 'Unknown';
  return user.profile?.display_name || user.real_name || user.profile?.real_name || user.name;
}

/** The author of a message: a person, or a bot by its id, or by the name it gave this message. @param {Message} message */
export function authorName(message) {
  if (message.user === SYSTEM_USER) return 'Backchannel';
  if (message.username && isBotMessage(message)) return message.username; // chat:write.customize
  if (message.user && state.users.has(message.user)) return userName(message.user);
  if (message.bot_id) return message.username || state.bots.get(message.bot_id)?.name || 'Bot';
  return message.username || (message.user ? userName(message.user) : 'Unknown');
}

/** A bot's post (only a bot's may carry its own name and icon, as in Slack). @param {Message} message */
export function isBotMessage(message) {
  return Boolean(message.bot_id) || message.subtype === 'bot_message';
}

/** @param {Conversation} conversation */
export function conversationName(conversation) {
  if (conversation.kind === 'im') {
    const name = userName(conversation.user);
    return conversation.user === state.self?.id ? `${name} (you)` : name;
  }
  if (conversation.kind === 'mpim') {
    const others = conversation.members.filter((m) => m !== state.self?.id);
    // Sorted, so everyone sees the same group named the same way whoever joined first.
    const names = others.map(userName).sort((a, b) => a.localeCompare(b));
    return names.length ? names.join(', ') : 'Group message';
  }
  return conversation.name;
}

// -- workspaces (shared channels, people of other workspaces) -------------------------------

/** A workspace by its name if the person sits in it (auth.teams.list), else ''. @param {string} teamId */
export function teamName(teamId) {
  return state.teams.get(teamId)?.name || '';
}

/** A person of another workspace (met in a shared channel), not one of this workspace's. @param {import('./types.js').User} [user] */
export function isOutsider(user) {
  return Boolean(user?.team_id && state.team && user.team_id !== state.team.id);
}

/** The workspace a message's author is from when it is not this one, else ''. @param {Message} message */
export function authorTeam(message) {
  const user = state.users.get(message.user || '');
  if (user) return isOutsider(user) ? user.team_id || '' : '';
  const team = message.user_team || message.team;
  return team && state.team && team !== state.team.id ? team : '';
}

/**
 * "Shared with Acme Labs", "Shared with Acme Labs and 1 other workspace", "Shared with 2
 * other workspaces": the other side of a shared channel, named where the person sits there.
 * '' for a channel that is not shared.
 * @param {Conversation} conversation
 */
export function sharedWith(conversation) {
  if (!conversation.isShared) return '';
  const others = conversation.sharedTeams.filter((t) => t !== state.team?.id);
  const names = others.map(teamName).filter(Boolean);
  const unnamed = others.length - names.length;
  if (unnamed) names.push(`${unnamed} other ${unnamed === 1 ? 'workspace' : 'workspaces'}`);
  if (!names.length) return 'Shared channel';
  return `Shared with ${names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0]}`;
}

/** A channel, public or private (not a DM or group DM). @param {Conversation} conversation */
export function isChannel(conversation) {
  return conversation.kind === 'public' || conversation.kind === 'private';
}

/** "#general", "Bob Baker": the name with its sigil, for labels such as "Message #general". @param {Conversation} conversation */
export function conversationTitle(conversation) {
  return (isChannel(conversation) ? '#' : '') + conversationName(conversation);
}

/** Up to two initials, for an avatar without a picture. @param {string} name */
export function initials(name) {
  const words = name.replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0][0] + words[1][0] : (words[0] || '?').slice(0, 2);
  return letters.toUpperCase();
}

/** A stable colour class from an id, so each person keeps their avatar colour. */
export function colourClass(id = '') {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hue-${hash % 8}`;
}
