// Messages: one <article> per message, and a list that updates in place (keyed by ts) so
// focus, an open editor and the scroll position survive new events.
import * as actions from './actions.js';
import { ApiError } from './api.js';
import { confirmDialog, errorText, openModal, toast } from './dialogs.js';
import { focusFirst, h, icon } from './dom.js';
import { emojiFor, knownEmoji, PICKER } from './emoji.js';
import { editableText, renderMrkdwn } from './mrkdwn.js';
import { authorName, authorTeam, colourClass, initials, isBotMessage, teamName, userName } from './names.js';
import { claimEditorFocus, findMessage, keepEditDraft, selfId, startEditing, state, stopEditing } from './store.js';

/** @typedef {import('./types.js').Message} Message */

/** Subtypes written by the system: shown, but nobody edits or reacts to them. */
const SYSTEM = new Set(['channel_join', 'channel_leave', 'channel_topic', 'channel_purpose',
  'channel_name', 'channel_archive', 'channel_unarchive', 'group_join', 'group_leave', 'tombstone',
  'pinned_item', 'bot_add', 'bot_remove']);

/**
 * @typedef {object} ListOptions
 * @property {string} channel
 * @property {boolean} inThread   no day separators, no "N replies", no "Reply in thread"
 */

export class MessageList {
  /** @param {HTMLElement} el the scrolling [role=log] @param {ListOptions} options */
  constructor(el, options) {
    this.el = el;
    this.options = options;
    /** @type {Map<string, {message: Message, editing: boolean, el: HTMLElement}>} */
    this.articles = new Map();
    /** @type {Map<string, HTMLElement>} */
    this.separators = new Map();
    this.revealing = ''; // a permalink's message: scrolled to and marked once drawn
    this.revealed = false;
  }

  /** Scroll to message `ts` and mark it (`.highlighted`) as soon as it is drawn. @param {string} ts */
  reveal(ts) {
    this.revealing = ts;
    this.revealed = false;
  }

  /** Names or avatars changed: draw every message again. */
  forget() {
    this.articles.clear();
  }

  isAtBottom() {
    return this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 60;
  }

  scrollToBottom() {
    this.el.scrollTop = this.el.scrollHeight;
  }

  /**
   * @param {readonly Message[]} messages oldest first
   * @param {Node|null} [intro] shown above the first message (the start of the history)
   */
  render(messages, intro = null) {
    const focus = this.focusedControl();
    const stick = this.isAtBottom();
    const anchor = this.firstVisible();
    const anchorTop = anchor?.getBoundingClientRect().top ?? 0;
    /** @type {Node[]} */
    const nodes = this.nodesFor(messages);
    if (intro) nodes.unshift(intro);
    const keep = new Set(nodes);
    for (const child of [...this.el.children]) if (!keep.has(child)) child.remove();
    let cursor = this.el.firstElementChild;
    for (const node of nodes) {
      if (node === cursor) cursor = cursor.nextElementSibling;
      else this.el.insertBefore(node, cursor);
    }
    // A permalink's message, once it is here; else new at the bottom: follow it if we were
    // there; older pages on top: keep what was seen.
    const target = this.revealed ? null : this.articles.get(this.revealing)?.el;
    if (target) {
      target.scrollIntoView({ block: 'center' });
      this.revealed = true;
    } else if (stick) this.scrollToBottom();
    else if (anchor?.isConnected) this.el.scrollTop += anchor.getBoundingClientRect().top - anchorTop;
    if (focus && !focus.el.isConnected) {
      // The control itself may be gone (a last reaction taken back): then its message.
      /** @type {HTMLElement|null} */ (this.el.querySelector(focus.selector) || this.el.querySelector(focus.article))?.focus();
    }
  }

  /** The focused control in a message, and how to find its twin once the message is redrawn. */
  focusedControl() {
    const el = /** @type {HTMLElement|null} */ (document.activeElement);
    const article = /** @type {HTMLElement|null|undefined} */ (el?.closest('article.message'));
    if (!el || !article || !this.el.contains(article) || el === article) return null;
    const label = el.getAttribute('aria-label');
    const which = el.dataset.name ? `[data-name="${CSS.escape(el.dataset.name)}"]`
      : label ? `[aria-label="${CSS.escape(label)}"]` : `.${el.classList[0]}`;
    const selector = `article.message[data-ts="${CSS.escape(String(article.dataset.ts))}"]`;
    return { el, article: selector, selector: `${selector} ${which}` };
  }

  /** @param {readonly Message[]} messages @returns {HTMLElement[]} */
  nodesFor(messages) {
    const nodes = [];
    const seen = new Set();
    let day = '';
    for (const message of messages) {
      if (!this.options.inThread && dayKey(message.ts) !== day) {
        day = dayKey(message.ts);
        nodes.push(this.separator(day, message.ts));
      }
      nodes.push(this.article(message));
      seen.add(message.ts);
    }
    for (const ts of this.articles.keys()) if (!seen.has(ts)) this.articles.delete(ts);
    return nodes;
  }

  /** @param {Message} message */
  article(message) {
    const editing = isEditing(this.options.channel, message.ts);
    const cached = this.articles.get(message.ts);
    if (cached && cached.message === message && cached.editing === editing) return cached.el;
    const el = renderMessage(message, this.options);
    if (message.ts === this.revealing) el.classList.add('highlighted');
    this.articles.set(message.ts, { message, editing, el });
    return el;
  }

  /** @param {string} day @param {string} ts */
  separator(day, ts) {
    let separator = this.separators.get(day);
    if (!separator) {
      const label = dayLabel(ts);
      separator = h('div', { class: 'day-separator', role: 'separator', 'aria-label': label }, h('span', { text: label }));
      this.separators.set(day, separator);
    }
    return separator;
  }

  /** The message to hold in place (not a day separator: those move when a page is prepended). */
  firstVisible() {
    const top = this.el.getBoundingClientRect().top;
    for (const child of this.el.querySelectorAll(':scope > article')) if (child.getBoundingClientRect().bottom > top) return child;
    return null;
  }
}

/**
 * One message.
 * @param {Message} message
 * @param {ListOptions} options
 */
export function renderMessage(message, { channel, inThread }) {
  const system = SYSTEM.has(message.subtype || '');
  const editing = isEditing(channel, message.ts);
  const date = tsDate(message.ts);
  return h('article', { class: `message${system ? ' system' : ''}`, dataset: { ts: message.ts }, tabindex: '-1' },
    avatar(message),
    h('div', { class: 'message-body' },
      h('div', { class: 'meta' },
        h('span', { class: 'author', text: authorName(message) }),
        authorTeamLabel(message),
        h('time', { class: 'time', datetime: date.toISOString(), title: date.toLocaleString(), text: timeLabel(date) })),
      editing ? editor(channel, message) : content(message),
      reactions(channel, message),
      !inThread && (message.reply_count ?? 0) > 0 && h('button', {
        type: 'button', class: 'replies', text: `${message.reply_count} ${message.reply_count === 1 ? 'reply' : 'replies'}`,
        onclick: () => actions.openThread(channel, message.ts),
      })),
    !system && !editing && messageActions(channel, message, inThread));
}

/** An author from another workspace (a shared channel): their workspace after the name. @param {Message} message */
function authorTeamLabel(message) {
  const team = authorTeam(message);
  if (!team) return null;
  const name = teamName(team); // known when the person sits there too, else unnamed
  return h('span', {
    class: 'author-team', dataset: { team }, title: name ? `From ${name}` : 'From another workspace', text: name || 'Other workspace',
  });
}

/** @param {Message} message */
function content(message) {
  return h('div', { class: 'content' },
    h('div', { class: 'text' }, renderMrkdwn(message.text)),
    message.edited && h('span', { class: 'edited', text: '(edited)' }));
}

/** @param {Message} message */
function avatar(message) {
  const own = isBotMessage(message) ? message.icons : null; // the bot's icon for this message
  const emoji = knownEmoji(own?.emoji?.replace(/^:|:$/g, '').split('::')[0] || '');
  if (emoji) return h('div', { class: 'avatar emoji-icon', 'aria-hidden': 'true', text: emoji });
  const user = own ? null : state.users.get(message.user || '');
  const src = avatarSrc(own ? own.image_48 || own.image_72 || own.image_36 : user?.profile?.image_48);
  if (src) return h('img', { class: 'avatar', src, alt: '', 'aria-hidden': 'true' });
  const name = authorName(message);
  return h('div', { class: `avatar ${colourClass(message.user || message.bot_id)}`, 'aria-hidden': 'true', text: initials(name) });
}

/**
 * Where to load a picture from: only this origin (the CSP allows img-src 'self'). A photo
 * of ours named by another address of this server (its public URL) is served here too.
 * @param {string} [url]
 */
function avatarSrc(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url, location.href);
    if (parsed.origin === location.origin) return parsed.href;
    return parsed.pathname.startsWith('/avatars/') ? parsed.pathname : null;
  } catch {
    return null;
  }
}

/** @param {string} channel @param {Message} message */
function reactions(channel, message) {
  if (!message.reactions?.length) return null;
  return h('div', { class: 'reactions' }, ...message.reactions.map((reaction) => {
    const mine = reaction.users.includes(selfId());
    return h('button', {
      type: 'button', class: 'reaction', dataset: { name: reaction.name }, 'aria-pressed': String(mine),
      title: `${reaction.users.map(userName).join(', ')} reacted with :${reaction.name}:`,
      onclick: () => run(actions.toggleReaction(channel, message.ts, reaction.name)),
    }, h('span', { class: 'emoji', text: emojiFor(reaction.name) }), ' ', h('span', { class: 'count', text: String(reaction.count) }));
  }));
}

/** @param {string} channel @param {Message} message @param {boolean} inThread */
function messageActions(channel, message, inThread) {
  const mine = message.user === selfId();
  /** @type {(label: string, name: string, onclick: (event: MouseEvent) => void) => HTMLElement} */
  const button = (label, name, onclick) =>
    h('button', { type: 'button', 'aria-label': label, title: label, onclick }, icon(name));
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    button('Add reaction', 'reaction', (e) => reactionPicker(/** @type {Element} */ (e.currentTarget), channel, message.ts)),
    !inThread && button('Reply in thread', 'reply', () => actions.openThread(channel, message.ts)),
    mine && button('Edit message', 'edit', () => startEditing(channel, message.ts, editableText(message.text))),
    mine && button('Delete message', 'delete', () => confirmDelete(channel, message.ts)));
}

/** The inline edit box: Enter saves, Shift+Enter is a new line, Escape cancels. @param {string} channel @param {Message} message */
function editor(channel, message) {
  const alert = h('p', { class: 'error', role: 'alert' });
  const box = h('textarea', { class: 'edit-box', 'aria-label': 'Edit message', rows: '2' });
  box.value = state.editing?.draft ?? '';
  const finish = () => {
    const panel = box.closest('main, aside');
    stopEditing();
    // The article is drawn again: leave focus in the composer of the same panel.
    requestAnimationFrame(() => panel && focusFirst(panel, 'textarea.composer-input'));
  };
  const save = async () => {
    const text = box.value.trim();
    if (!text || text === editableText(message.text).trim()) return finish();
    try {
      await actions.editMessage(channel, message.ts, text);
      finish();
    } catch (err) {
      alert.textContent = errorText(err instanceof ApiError ? err.code : 'unknown_error');
    }
  };
  box.addEventListener('input', () => keepEditDraft(box.value));
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      save();
    } else if (event.key === 'Escape') {
      event.stopPropagation(); // not the thread panel's Escape
      finish();
    }
  });
  if (claimEditorFocus()) {
    requestAnimationFrame(() => {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  }
  return h('div', { class: 'editor' }, box, alert,
    h('div', { class: 'editor-buttons' },
      h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: finish }),
      h('button', { type: 'button', text: 'Save', onclick: save })));
}

/** @param {string} channel @param {string} ts */
async function confirmDelete(channel, ts) {
  const sure = await confirmDialog({
    label: 'Delete message',
    message: 'Are you sure you want to delete this message? This cannot be undone.',
    action: 'Delete',
  });
  if (sure) run(actions.deleteMessage(channel, ts));
}

/** The emoji picker, as a small dialog next to the button that opened it. @param {Element} anchor @param {string} channel @param {string} ts */
function reactionPicker(anchor, channel, ts) {
  const { dialog } = openModal({
    label: 'Add reaction',
    className: 'popover picker',
    anchor,
    content: (close) => PICKER.map((name) => h('button', {
      type: 'button', dataset: { name }, 'aria-label': `:${name}:`, title: `:${name}:`, text: emojiFor(name),
      onclick: () => {
        close();
        // The picker adds; taking a reaction back is the pill's job.
        const reaction = findMessage(channel, ts)?.reactions?.find((r) => r.name === name);
        if (!reaction?.users.includes(selfId())) run(actions.toggleReaction(channel, ts, name));
      },
    })),
  });
  dialog.querySelector('button')?.focus();
}

/** Run an action; its error becomes a toast (never an unhandled rejection). @param {Promise<unknown>} promise */
export function run(promise) {
  promise.catch((err) => toast(errorText(err instanceof ApiError ? err.code : 'unknown_error')));
}

/** @param {string} channel @param {string} ts */
function isEditing(channel, ts) {
  return state.editing?.channel === channel && state.editing.ts === ts;
}

// -- dates ------------------------------------------------------------------------------

/** @param {string} ts */
export function tsDate(ts) {
  return new Date(Number.parseFloat(ts) * 1000);
}

/** @param {string} ts */
function dayKey(ts) {
  return tsDate(ts).toDateString();
}

/** @param {string} ts */
function dayLabel(ts) {
  const date = tsDate(ts);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return 'Today';
  if (date.toDateString() === yesterday.toDateString()) return 'Yesterday';
  const sameYear = date.getFullYear() === today.getFullYear();
  return date.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) });
}

/** @param {Date} date */
function timeLabel(date) {
  return date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}
