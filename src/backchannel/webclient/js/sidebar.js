// The sidebar: workspace, you, the quick switcher button, your channels (shared ones marked)
// and DMs with their badges, the connection state, signing someone else in, and sign out.
import { focusFirst, glyph, h, icon, replaceChildren, srOnly } from './dom.js';
import { conversationName, isChannel, sharedWith, userName } from './names.js';
import { on, state } from './store.js';

/** @typedef {import('./store.js').Conversation} Conversation */

/** @type {Record<import('./rtm.js').ConnectionState, string>} */
const CONNECTION_TEXT = {
  connected: 'Connected', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline',
};

/**
 * @param {{onCreate: () => void, onSwitcher: () => void, onSignOut: () => void, onSignInOther: () => void}} handlers
 * @returns {HTMLElement}
 */
export function sidebar({ onCreate, onSwitcher, onSignOut, onSignInOther }) {
  const me = h('div', { class: 'me' });
  const channels = h('ul', { class: 'conversation-list', 'aria-labelledby': 'channels-heading' });
  const dms = h('ul', { class: 'conversation-list', 'aria-labelledby': 'dms-heading' });
  const connection = h('div', { id: 'connection', role: 'status' });

  const drawLists = () => {
    // Lists are drawn anew; keep keyboard focus on the same conversation.
    const focused = /** @type {HTMLElement|null|undefined} */ (document.activeElement?.closest?.('a.conversation'))?.dataset.id;
    const mine = [...state.conversations.values()].filter((c) => c.isMember && !c.isArchived && isShown(c));
    /** @param {Conversation[]} list */
    const sorted = (list) => list.sort((a, b) => conversationName(a).localeCompare(conversationName(b)));
    replaceChildren(channels, ...sorted(mine.filter(isChannel)).map(link));
    replaceChildren(dms, ...sorted(mine.filter((c) => !isChannel(c))).map(link));
    if (focused) focusFirst(document, `nav a.conversation[data-id="${CSS.escape(focused)}"]`);
  };
  const drawMe = () => {
    const self = state.self ? state.users.get(state.self.id) : null;
    replaceChildren(me, presenceDot(self?.presence), h('span', { class: 'me-name', text: state.self ? userName(state.self.id) : '' }));
  };
  const drawConnection = () => {
    connection.dataset.state = state.connection;
    connection.textContent = CONNECTION_TEXT[state.connection];
  };
  for (const topic of /** @type {const} */ (['conversations', 'users', 'presence', 'teams'])) on(topic, drawLists);
  for (const topic of /** @type {const} */ (['users', 'presence'])) on(topic, drawMe);
  on('connection', drawConnection);
  drawLists();
  drawMe();
  drawConnection();

  return h('div', { class: 'sidebar' },
    h('header', { class: 'team' }, h('h1', { class: 'team-name', text: state.team?.name || '' }), me),
    h('button', { type: 'button', class: 'switcher-button', onclick: onSwitcher },
      h('span', { text: 'Quick switcher' }), h('kbd', { 'aria-hidden': 'true', text: 'Ctrl K' })),
    h('nav', { 'aria-label': 'Conversations' },
      h('div', { class: 'section-heading' },
        h('h2', { id: 'channels-heading', text: 'Channels' }),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Create a channel', title: 'Create a channel', onclick: onCreate }, icon('plus'))),
      channels,
      h('div', { class: 'section-heading' }, h('h2', { id: 'dms-heading', text: 'Direct messages' })),
      dms),
    h('footer', { class: 'sidebar-footer' },
      connection,
      h('div', { class: 'account-actions' },
        // Another person signs in in this tab; whoever is here stays in their other tabs.
        h('button', { type: 'button', class: 'secondary sign-out', text: 'Someone else', 'aria-label': 'Sign in as someone else', title: 'Sign in as someone else', onclick: onSignInOther }),
        h('button', { type: 'button', class: 'secondary sign-out', text: 'Sign out', onclick: onSignOut }))));
}

/** DMs with deactivated people drop out, as in Slack. @param {Conversation} conversation */
function isShown(conversation) {
  return conversation.kind !== 'im' || !state.users.get(conversation.user)?.deleted;
}

/** @param {Conversation} c */
function link(c) {
  // The name comes first in the DOM (tests and screen readers read it first); CSS puts the
  // aria-hidden sigil and the presence dot before it on screen.
  const sigil = c.kind === 'public' ? glyph('#', 'sigil') : c.kind === 'private' ? icon('lock', 'sigil')
    : c.kind === 'mpim' ? glyph(String(c.members.length - 1), 'sigil sigil-mpim') : null;
  const unread = c.unread > 0;
  const classes = ['conversation', unread && 'has-unread', c.mentions > 0 && 'has-mentions'].filter(Boolean).join(' ');
  return h('li', {},
    h('a', { class: classes, href: `#/${c.id}`, dataset: { id: c.id, kind: c.kind }, 'aria-current': c.id === state.openId ? 'page' : null },
      h('span', { class: 'name', text: conversationName(c) }),
      sigil,
      c.isShared && sharedMark(c),
      c.kind === 'im' && presenceDot(state.users.get(c.user)?.presence),
      c.mentions > 0 && srOnly(', mentions:'),
      c.mentions > 0 && h('span', { class: 'mentions', text: String(c.mentions) }),
      unread && srOnly(', unread messages:'),
      unread && h('span', { class: 'unread', text: String(c.unread) })));
}

/** A shared channel's mark: an icon, "Shared with …" on hover and for screen readers. @param {Conversation} conversation */
export function sharedMark(conversation) {
  const text = sharedWith(conversation);
  return h('span', { class: 'shared', title: text }, icon('shared'), srOnly(`, ${text}`));
}

/** A green dot (active) or a hollow one (away), with its word for screen readers. @param {string} [presence] */
export function presenceDot(presence) {
  const value = presence === 'active' ? 'active' : 'away';
  return h('span', { class: 'presence', dataset: { presence: value } }, srOnly(` (${value})`));
}
