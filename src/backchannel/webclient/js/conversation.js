// The open conversation: header, history, composer (or the Join button of a channel you
// are only looking at), and who is typing.
import * as actions from './actions.js';
import { ApiError } from './api.js';
import { composer } from './composer.js';
import { errorText, toast } from './dialogs.js';
import { focusFirst, glyph, h, icon, replaceChildren } from './dom.js';
import { MessageList, run } from './messages.js';
import { conversationName, conversationTitle, isChannel, sharedWith, userName } from './names.js';
import { history, on, state } from './store.js';

/** @typedef {import('./store.js').Conversation} Conversation */

const LOAD_OLDER_WITHIN_PX = 200;

/**
 * The <main> element; show(id) puts a conversation in it.
 * @param {{onLeft: () => void}} handlers  where to go after leaving a channel
 */
export function conversationView({ onLeft }) {
  const header = h('header', { class: 'conversation-header' });
  const logSlot = h('div', { class: 'log-slot' });
  const footer = h('div', { class: 'conversation-footer' });
  const typing = h('div', { id: 'typing', class: 'typing', 'aria-live': 'polite' });
  const main = h('main', { class: 'conversation', 'aria-labelledby': 'conversation-title' }, header, logSlot, footer, typing);
  /** @type {MessageList|null} */
  let list = null;
  let headerKey = '';
  let footerMode = '';
  /** @type {HTMLElement|null} */
  let intro = null;

  const current = () => state.conversations.get(state.openId);

  const drawHeader = () => {
    const c = current();
    if (!c) return;
    const key = JSON.stringify([c.id, conversationName(c), c.topic, c.numMembers, c.isMember, c.isArchived, sharedWith(c)]);
    if (key === headerKey) return; // redraw only on change: the Leave button may have focus
    headerKey = key;
    replaceChildren(header, headerContent(c, () => leave(c.id)));
  };

  const drawFooter = () => {
    const c = current();
    if (!c) return;
    const mode = c.isArchived ? 'archived' : c.isMember ? 'member' : 'preview';
    if (mode === footerMode) return; // never redraw the composer under someone typing
    footerMode = mode;
    replaceChildren(footer, footerContent(c, mode));
  };

  const drawHistory = () => {
    const c = current();
    if (!c || !list) return;
    const page = history(c.id);
    list.render(page.messages, page.loaded && !page.hasMore ? intro : null);
    // A short first page leaves nothing to scroll: fetch older ones until it fills.
    if (page.loaded && page.hasMore && list.el.scrollHeight <= list.el.clientHeight) loadOlder();
  };

  const drawTyping = () => {
    const people = [...(state.typing.get(state.openId)?.keys() || [])].filter((id) => id !== state.self?.id);
    typing.textContent = typingText(people.map(userName));
  };

  const loadOlder = () => {
    const id = state.openId;
    actions.loadHistory(id, { older: true }).catch(() => {}); // the next scroll tries again
  };

  /** @param {string} id */
  const leave = (id) => run(actions.leaveChannel(id).then(onLeft));

  on('conversations', () => { drawHeader(); drawFooter(); });
  on('users', () => { list?.forget(); drawHistory(); headerKey = ''; drawHeader(); });
  on('history', drawHistory);
  on('typing', drawTyping);

  /**
   * Show conversation `id` (already in the store) and load its newest messages; with `at`
   * (a permalink's message), older pages until it is there, scrolled to and marked.
   * @param {string} id
   */
  async function show(id, { at = '' } = {}) {
    headerKey = '';
    footerMode = '';
    const log = h('div', { class: 'log', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' });
    log.addEventListener('scroll', () => {
      if (log.scrollTop < LOAD_OLDER_WITHIN_PX && history(id).hasMore) loadOlder();
    });
    list = new MessageList(log, { channel: id, inThread: false });
    if (at) list.reveal(at);
    const c = current();
    if (!c) return; // opened once in the store (main.js): not reached
    intro = introFor(c);
    // Membership events come only for the channels we are in: another's count may be old.
    if (!c.isMember || c.numMembers === undefined) actions.refreshConversation(id);
    replaceChildren(logSlot, log);
    drawHeader();
    drawFooter();
    drawTyping();
    drawHistory();
    try {
      await actions.loadHistory(id);
      if (at) await actions.loadHistoryUntil(id, at);
    } catch (err) {
      if (state.openId === id) {
        log.append(h('p', { class: 'error', role: 'alert', text: errorText(err instanceof ApiError ? err.code : 'unknown_error') }));
      }
    }
    if (state.openId !== id) return;
    drawHistory();
    if (!list.revealed) list.scrollToBottom();
    if (at && !list.revealed) toast(errorText('message_not_found'));
    actions.markOpenRead();
    if (!document.querySelector('dialog[open]')) footer.querySelector('textarea')?.focus();
  }

  /** After a `limited` reconnect: the history we had may have gaps. */
  async function reload() {
    if (!state.openId) return;
    await actions.loadHistory(state.openId, { replace: true }).catch(() => {});
    list?.scrollToBottom();
  }

  return { main, show, reload };
}

/** @param {Conversation} c @param {() => void} onLeave */
function headerContent(c, onLeave) {
  const count = c.numMembers;
  const sigil = c.kind === 'public' ? glyph('#', 'sigil') : c.kind === 'private' ? icon('lock', 'sigil') : null;
  return [
    h('div', { class: 'title-row' },
      h('h2', { id: 'conversation-title' }, sigil, h('span', { class: 'name', text: conversationName(c) })),
      c.isShared && h('span', { class: 'shared-with' }, icon('shared'), h('span', { text: sharedWith(c) })),
      isChannel(c) && count !== undefined && h('span', { class: 'member-count', text: `${count} ${count === 1 ? 'member' : 'members'}` }),
      isChannel(c) && c.isMember && !c.isGeneral &&
        h('button', { type: 'button', class: 'secondary leave', text: 'Leave channel', onclick: onLeave })),
    c.topic && h('p', { class: 'topic', text: c.topic }),
  ];
}

/** @param {Conversation} c @param {'archived'|'member'|'preview'} mode */
function footerContent(c, mode) {
  if (mode === 'archived') return h('p', { class: 'notice', text: 'This channel has been archived.' });
  if (mode === 'preview') {
    const alert = h('p', { class: 'error', role: 'alert' });
    const join = async () => {
      try {
        await actions.joinChannel(c.id);
        requestAnimationFrame(() => focusFirst(document, 'main textarea.composer-input'));
      } catch (err) {
        alert.textContent = errorText(err instanceof ApiError ? err.code : 'unknown_error');
      }
    };
    return h('div', { class: 'preview' },
      h('p', { text: `You are viewing ${conversationTitle(c)}.` }),
      h('button', { type: 'button', class: 'join', text: 'Join channel', onclick: join }),
      alert);
  }
  return composer({
    channel: c.id,
    label: `Message ${conversationTitle(c)}`,
    ownMessages: () => history(c.id).messages,
  });
}

/** The top of a history: where it all began. @param {Conversation} c */
function introFor(c) {
  const text = isChannel(c) ? `This is the very beginning of ${conversationTitle(c)}.`
    : `This is the very beginning of your conversation with ${conversationName(c)}.`;
  return h('p', { class: 'intro', text });
}

/** @param {string[]} names */
function typingText(names) {
  if (!names.length) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return 'Several people are typing…';
}
