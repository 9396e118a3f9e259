// Permalinks, as chat.getPermalink and search.messages give them:
// /archives/<conversation>/p<ts without its dot>, and for a reply ?thread_ts=<root>&cid=<conversation>.
// The webapp serves this page at every /archives/ address; main.js opens what it names.

const PATH = /^\/archives\/([A-Z0-9]{2,32})(?:\/p(\d{7,10})(\d{6}))?\/?$/;
const TS = /^\d{1,10}\.\d{6}$/;

/**
 * @typedef {object} Permalink
 * @property {string} channel
 * @property {string} ts        the message ('' for a link to the conversation alone)
 * @property {string} threadTs  the thread's root, for a reply ('' otherwise)
 */

/** @returns {Permalink|null} the permalink the page is at */
export function permalinkHere() {
  const match = PATH.exec(location.pathname);
  if (!match) return null;
  const [, channel, seconds, micros] = match;
  const threadTs = new URLSearchParams(location.search).get('thread_ts') || '';
  return { channel, ts: seconds ? `${seconds}.${micros}` : '', threadTs: TS.test(threadTs) ? threadTs : '' };
}

/** Once opened (or not found), the page's address is the conversation's, as any other. */
export function leavePermalink(channel = '') {
  history.replaceState(null, '', channel ? `/#/${channel}` : '/');
}

/**
 * The workspace among the person's that a conversation id belongs to: ids carry their
 * workspace's keyspace, the five characters after the kind letter (docs/router.md).
 * @param {string} channel
 * @param {ReadonlyMap<string, {id: string}>} teams
 */
export function homeTeamOf(channel, teams) {
  const keyspace = channel.slice(1, 6);
  return [...teams.values()].find((team) => team.id.slice(1, 6) === keyspace) || null;
}
