// The message box: Enter sends, Shift+Enter is a new line, Up in an empty box edits your
// last message. Drafts are kept per conversation (and thread) while the page lives.
import * as actions from './actions.js';
import { ApiError } from './api.js';
import { errorText } from './dialogs.js';
import { h } from './dom.js';
import { editableText } from './mrkdwn.js';
import * as store from './store.js';

/** @type {Map<string, string>} */
const drafts = new Map();
const MAX_HEIGHT_PX = 200;

/**
 * @param {object} options
 * @param {string} options.channel
 * @param {string} options.label       the textarea's aria-label ("Message #general")
 * @param {string} [options.threadTs]  post replies to this thread
 * @param {() => readonly import('./types.js').Message[]} options.ownMessages  newest last, for Up-to-edit
 * @returns {HTMLElement}
 */
export function composer({ channel, label, threadTs = '', ownMessages }) {
  const key = `${channel}/${threadTs}`;
  const alert = h('p', { class: 'error', role: 'alert' });
  const box = h('textarea', { class: 'composer-input', 'aria-label': label, placeholder: label, rows: '1' });
  box.value = drafts.get(key) || '';

  const send = async () => {
    const text = box.value.trim();
    if (!text) return;
    alert.textContent = '';
    box.value = '';
    drafts.delete(key);
    fit(box);
    try {
      await actions.sendMessage(channel, text, threadTs);
    } catch (err) {
      // Give the text back so nothing typed is lost.
      if (!box.value) box.value = text;
      fit(box);
      alert.textContent = errorText(err instanceof ApiError ? err.code : 'unknown_error');
    }
  };

  box.addEventListener('input', () => {
    drafts.set(key, box.value);
    fit(box);
    if (box.value) actions.typing(channel);
  });
  box.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'ArrowUp' && !box.value) {
      const last = ownMessages().filter((m) => m.user === store.selfId() && !m.subtype).at(-1);
      if (last) {
        event.preventDefault();
        store.startEditing(channel, last.ts, editableText(last.text));
      }
    }
  });
  requestAnimationFrame(() => fit(box));

  return h('form', { class: 'composer', onsubmit: (/** @type {SubmitEvent} */ e) => { e.preventDefault(); send(); } },
    h('div', { class: 'composer-row' }, box, h('button', { type: 'submit', class: 'send', 'aria-label': 'Send message', title: 'Send (Enter)', text: 'Send' })),
    alert);
}

/** Grow with the text, up to a limit (then scroll). @param {HTMLTextAreaElement} box */
function fit(box) {
  box.style.height = 'auto';
  box.style.height = `${Math.min(box.scrollHeight, MAX_HEIGHT_PX)}px`;
}
