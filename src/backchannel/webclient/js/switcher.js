// The quick switcher (Ctrl+K / Cmd+K): a fuzzy filter over the channels and people the
// store has, and those the edge finds for the query's first word (users.search and
// channels.search on the socket: the lean boot sent only what the sidebar shows). Arrows
// move, Enter opens (once the search for what was typed is in), Escape closes.
import { openModal } from './dialogs.js';
import { searchDirectory } from './directory.js';
import { glyph, h, icon, replaceChildren } from './dom.js';
import { conversationName, isOutsider, userName } from './names.js';
import { off, on, state } from './store.js';
import { presenceDot, sharedMark } from './sidebar.js';

const MAX_RESULTS = 30;
const SEARCH_AFTER_MS = 150; // typing pauses this long before the edge is asked

/**
 * A result: a conversation, or a person without a DM yet. `keys`: what a query is matched
 * against (the name, a person's handle).
 * @typedef {{kind: 'channel'|'dm', id: string, conversation: import('./store.js').Conversation, name: string, keys: string[]}} ConversationItem
 * @typedef {{kind: 'person', userId: string, name: string, keys: string[]}} PersonItem
 * @typedef {ConversationItem|PersonItem} Item
 */

/**
 * @param {(item: Item) => void} onChoose
 */
export function openSwitcher(onChoose) {
  if (document.querySelector('dialog[aria-label="Quick switcher"]')) return;
  /** @type {Map<string, Promise<unknown>>} the query's first word -> its search, once per opening */
  const searches = new Map();
  let timer = 0;
  // A plain textbox pointing at the highlighted option (aria-activedescendant).
  const input = h('input', {
    type: 'text', 'aria-label': 'Jump to', placeholder: 'Jump to…', 'aria-controls': 'switcher-results', autocomplete: 'off',
  });
  const listbox = h('div', { id: 'switcher-results', role: 'listbox', 'aria-label': 'Results' });
  /** @type {Item[]} */
  let shown = [];
  let selected = 0;

  /** @param {Item} item @param {() => void} close */
  const choose = (item, close) => {
    close();
    onChoose(item);
  };
  /** @param {number} index */
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

  /** The edge's search for the query's first word; the same promise while it is asked. @param {string} word */
  const search = (word) => {
    let searching = searches.get(word);
    if (!searching) searches.set(word, (searching = searchDirectory(word).then(redraw)));
    return searching;
  };
  const searchLater = () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(firstWord(input.value)), SEARCH_AFTER_MS);
  };

  /** @type {(keepSelection: boolean) => void} */
  let draw = () => {};
  // Results that come in (or a store change) keep the highlighted item where it is.
  const redraw = () => dialog.open && draw(true);
  const { dialog, close } = openModal({
    label: 'Quick switcher',
    className: 'switcher',
    onClose: () => {
      clearTimeout(timer);
      off('conversations', redraw);
      off('users', redraw);
    },
    content: (closeDialog) => {
      draw = (keepSelection) => {
        const current = keepSelection ? shown[selected] : null;
        shown = filter(candidates(), input.value);
        replaceChildren(listbox, ...shown.map((item, i) => option(item, i, () => choose(item, closeDialog))));
        if (!shown.length) listbox.append(h('p', { class: 'empty', text: 'No matches' }));
        select(current ? Math.max(0, shown.findIndex((item) => itemKey(item) === itemKey(current))) : 0);
      };
      input.addEventListener('input', () => {
        draw(false);
        searchLater();
      });
      draw(false);
      return [input, listbox];
    },
  });
  on('conversations', redraw);
  on('users', redraw);
  search(''); // with nothing typed: some channels and people beyond the sidebar's

  input.addEventListener('keydown', async (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      select(selected + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      // What was typed may be found by the edge alone: wait for its search.
      clearTimeout(timer);
      await search(firstWord(input.value));
      if (dialog.open && shown[selected]) choose(shown[selected], close);
    }
  });
  input.focus();
}

/** The edge matches names from their start, one word at a time; the rest is filtered here. @param {string} query */
function firstWord(query) {
  return query.trim().replace(/^[#@]/, '').split(/\s+/)[0].toLowerCase();
}

/** @param {Item} item */
function itemKey(item) {
  return item.kind === 'person' ? item.userId : item.id;
}

/** @returns {Item[]} */
function candidates() {
  /** @type {Item[]} */
  const items = [];
  const dmWith = new Set();
  for (const c of state.conversations.values()) {
    if (c.isArchived) continue;
    const name = conversationName(c);
    if (c.kind === 'public' || (c.kind === 'private' && c.isMember)) {
      items.push({ kind: 'channel', id: c.id, name, keys: [name], conversation: c });
    } else if (c.isMember && (c.kind === 'im' || c.kind === 'mpim')) {
      if (c.kind === 'im') dmWith.add(c.user);
      const handle = c.kind === 'im' ? state.users.get(c.user)?.name : '';
      items.push({ kind: 'dm', id: c.id, name, keys: [name, handle || ''], conversation: c });
    }
  }
  for (const user of state.users.values()) {
    if (user.deleted || user.is_bot || dmWith.has(user.id) || user.id === state.self?.id || isOutsider(user)) continue;
    const name = userName(user.id);
    items.push({ kind: 'person', userId: user.id, name, keys: [name, user.name] });
  }
  return items;
}

/** Best matches first: a prefix, then a substring, then the letters in order. @param {Item[]} items @param {string} query */
function filter(items, query) {
  const q = query.trim().toLowerCase().replace(/^[#@]/, '');
  const scored = items
    .map((item) => ({ item, score: q ? Math.max(...item.keys.map((key) => score(key.toLowerCase(), q))) : mineFirst(item) }))
    .filter(({ score: s }) => s > 0);
  scored.sort((a, b) => b.score - a.score || a.item.name.localeCompare(b.item.name));
  return scored.slice(0, MAX_RESULTS).map(({ item }) => item);
}

/** @param {string} name @param {string} q */
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

/** With no query: your own conversations before everything else. @param {Item} item */
function mineFirst(item) {
  return item.kind !== 'person' && item.conversation.isMember ? 2 : 1;
}

/** @param {Item} item @param {number} index @param {() => void} onClick */
function option(item, index, onClick) {
  const c = item.kind === 'person' ? undefined : item.conversation;
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
