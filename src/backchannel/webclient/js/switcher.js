// The quick switcher (Ctrl+K / Cmd+K): a fuzzy filter over channels (yours and public
// ones) and people. Arrows move, Enter opens, Escape closes.
import { openModal } from './dialogs.js';
import { glyph, h, icon, replaceChildren } from './dom.js';
import { conversationName, isOutsider, userName } from './names.js';
import { state } from './store.js';
import { presenceDot, sharedMark } from './sidebar.js';

const MAX_RESULTS = 30;

/**
 * @typedef {object} Item
 * @property {string} name
 * @property {'channel'|'dm'|'person'} kind
 * @property {string} [id]      a conversation's id
 * @property {string} [userId]  a person without a DM yet
 * @property {import('./store.js').Conversation} [conversation]
 */

/**
 * @param {(item: Item) => void} onChoose
 */
export function openSwitcher(onChoose) {
  if (document.querySelector('dialog[aria-label="Quick switcher"]')) return;
  const items = candidates();
  // A plain textbox pointing at the highlighted option (aria-activedescendant).
  const input = h('input', {
    type: 'text', 'aria-label': 'Jump to', placeholder: 'Jump to…', 'aria-controls': 'switcher-results', autocomplete: 'off',
  });
  const listbox = h('div', { id: 'switcher-results', role: 'listbox', 'aria-label': 'Results' });
  let shown = [];
  let selected = 0;

  const choose = (item, close) => {
    close();
    onChoose(item);
  };
  const select = (index) => {
    selected = Math.max(0, Math.min(index, shown.length - 1));
    for (const [i, option] of [...listbox.children].entries()) option.setAttribute('aria-selected', String(i === selected));
    const option = listbox.children[selected];
    if (option) {
      input.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const { close } = openModal({
    label: 'Quick switcher',
    className: 'switcher',
    content: (closeDialog) => {
      const draw = () => {
        shown = filter(items, input.value);
        replaceChildren(listbox, ...shown.map((item, i) => option(item, i, () => choose(item, closeDialog))));
        if (!shown.length) listbox.append(h('p', { class: 'empty', text: 'No matches' }));
        select(0);
      };
      input.addEventListener('input', draw);
      draw();
      return [input, listbox];
    },
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      select(selected + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (shown[selected]) choose(shown[selected], close);
    }
  });
  input.focus();
}

/** @returns {Item[]} */
function candidates() {
  const items = [];
  const dmWith = new Set();
  for (const c of state.conversations.values()) {
    if (c.isArchived) continue;
    if (c.kind === 'public' || (c.kind === 'private' && c.isMember)) {
      items.push({ kind: 'channel', id: c.id, name: conversationName(c), conversation: c });
    } else if (c.isMember && (c.kind === 'im' || c.kind === 'mpim')) {
      if (c.kind === 'im') dmWith.add(c.user);
      items.push({ kind: 'dm', id: c.id, name: conversationName(c), conversation: c });
    }
  }
  for (const user of state.users.values()) {
    if (user.deleted || user.is_bot || dmWith.has(user.id) || user.id === state.self?.id || isOutsider(user)) continue;
    items.push({ kind: 'person', userId: user.id, name: userName(user.id) });
  }
  return items;
}

/** Best matches first: a prefix, then a substring, then the letters in order. */
function filter(items, query) {
  const q = query.trim().toLowerCase().replace(/^[#@]/, '');
  const scored = items
    .map((item) => ({ item, score: q ? score(item.name.toLowerCase(), q) : mineFirst(item) }))
    .filter(({ score: s }) => s > 0);
  scored.sort((a, b) => b.score - a.score || a.item.name.localeCompare(b.item.name));
  return scored.slice(0, MAX_RESULTS).map(({ item }) => item);
}

function score(name, q) {
  if (name.startsWith(q)) return 1000 - name.length;
  const at = name.indexOf(q);
  if (at >= 0) return 500 - at;
  let i = 0;
  let gaps = 0;
  for (const char of name) {
    if (char === q[i]) i += 1;
    else if (i > 0 && i < q.length) gaps += 1;
    if (i === q.length) return Math.max(1, 200 - gaps);
  }
  return 0;
}

/** With no query: your own conversations before everything else. */
function mineFirst(item) {
  return item.conversation?.isMember ? 2 : 1;
}

function option(item, index, onClick) {
  const c = item.conversation;
  const sigil = item.kind !== 'channel' ? null : c?.kind === 'private' ? icon('lock', 'sigil') : glyph('#', 'sigil');
  const presence = item.kind === 'person' ? state.users.get(item.userId)?.presence
    : c?.kind === 'im' ? state.users.get(c.user)?.presence : null;
  return h('div', { role: 'option', id: `switcher-option-${index}`, class: 'option', 'aria-selected': 'false', onclick: onClick },
    h('span', { class: 'name', text: item.name }),
    sigil,
    presence && presenceDot(presence),
    item.kind === 'channel' && c?.isShared && sharedMark(c),
    item.kind === 'channel' && !c?.isMember && h('span', { class: 'hint', text: 'not joined' }));
}
