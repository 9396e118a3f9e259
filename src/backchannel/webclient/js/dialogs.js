// Modal dialogs on <dialog>.showModal(): the page behind is inert, Escape closes, Tab is
// kept inside, and focus goes back where it was. Explicit role="dialog" so CSS-style
// selectors (and the tests) find them.
import { createChannel } from './actions.js';
import { ApiError } from './api.js';
import { append, focusables, focusFirst, h } from './dom.js';

/** @type {Record<string, string>} */
const MESSAGES = {
  invalid_credentials: 'Wrong email or password.',
  workspace_required: 'That email has accounts in several workspaces: enter the workspace.',
  invalid_arguments: 'Please fill in every field.',
  name_taken: 'A channel with that name already exists.',
  invalid_name_specials: 'Channel names may only contain lowercase letters, numbers, hyphens and underscores.',
  invalid_name_required: 'Give the channel a name.',
  invalid_name_maxlength: 'Channel names have at most 80 characters.',
  invalid_name_punctuation: 'Channel names need at least one letter or number.',
  ratelimited: 'Too many requests: wait a moment and try again.',
  network_error: 'The server could not be reached.',
  is_archived: 'This channel is archived.',
  not_in_channel: 'You are not in this channel.',
  msg_too_long: 'That message is too long.',
  cant_leave_general: 'Nobody can leave #general.',
  team_access_not_granted: 'You no longer have access to that workspace.',
  channel_not_found: 'That conversation does not exist, or you cannot see it.',
  message_not_found: 'That message is not there any more.',
  thread_not_found: 'That thread is not there any more.',
};

/** A sentence for a Slack error code, with the code itself for the curious (and tests). @param {string} code */
export function errorText(code) {
  return Object.hasOwn(MESSAGES, code) ? `${MESSAGES[code]} (${code})` : `Something went wrong (${code}).`;
}

/**
 * Open a modal dialog.
 * @param {object} options
 * @param {string} options.label          its accessible name
 * @param {(close: () => void) => Node[]} options.content
 * @param {string} [options.className]
 * @param {Element} [options.anchor]      show next to this element, as a popover
 * @param {() => void} [options.onClose]
 * @returns {{dialog: HTMLDialogElement, close: () => void}}
 */
export function openModal({ label, content, className = '', anchor, onClose }) {
  const opener = document.activeElement;
  const dialog = h('dialog', {
    role: 'dialog', 'aria-modal': 'true', 'aria-label': label, class: `modal ${className}`,
  });
  const close = () => dialog.open && dialog.close();
  // 'close' comes from close() and from Escape alike (Chromium may skip 'cancel').
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  dialog.addEventListener('keydown', (event) => keepTabInside(event, dialog));
  // The dialog box itself has no padding: a click on the dialog element is on the backdrop.
  dialog.addEventListener('click', (event) => event.target === dialog && close());
  append(dialog, [h('div', { class: 'modal-body' }, ...content(close))]);
  document.body.append(dialog);
  dialog.showModal();
  if (anchor) placeNear(dialog, anchor);
  return { dialog, close };
}

/** @param {KeyboardEvent} event @param {HTMLDialogElement} dialog */
function keepTabInside(event, dialog) {
  if (event.key !== 'Tab') return;
  const items = focusables(dialog);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    last.focus();
    event.preventDefault();
  } else if (!event.shiftKey && document.activeElement === last) {
    first.focus();
    event.preventDefault();
  }
}

/** @param {HTMLDialogElement} dialog @param {Element} anchor */
function placeNear(dialog, anchor) {
  const rect = anchor.getBoundingClientRect();
  // Below the button, or above it when there is no room below.
  const below = rect.bottom + 4;
  const top = below + dialog.offsetHeight + 8 <= window.innerHeight ? below : rect.top - dialog.offsetHeight - 4;
  const left = Math.min(Math.max(8, rect.right - dialog.offsetWidth), window.innerWidth - dialog.offsetWidth - 8);
  dialog.style.top = `${Math.max(8, top)}px`;
  dialog.style.left = `${left}px`;
}

/**
 * Ask before doing something that cannot be undone (window.confirm can't be styled or tested).
 * @param {{label: string, message: string, action: string}} question  `action`: the button that does it
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ label, message, action }) {
  return new Promise((resolve) => {
    let answer = false;
    const { dialog } = openModal({
      label,
      className: 'confirm',
      onClose: () => resolve(answer),
      content: (close) => [
        h('h2', { text: label }),
        h('p', { text: message }),
        h('div', { class: 'dialog-buttons' },
          h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: close }),
          h('button', { type: 'button', class: 'danger', text: action, onclick: () => { answer = true; close(); } })),
      ],
    });
    focusFirst(dialog, 'button.secondary'); // the harmless choice first
  });
}

/** A short-lived error at the bottom of the page, announced by screen readers. @param {string} text */
export function toast(text) {
  const note = h('div', { class: 'toast', role: 'alert', text });
  document.body.append(note);
  setTimeout(() => note.remove(), 6000);
}

/** "Create a channel": a name and a Private box; server errors show in the dialog. @param {(id: string) => void} onCreated */
export function createChannelDialog(onCreated) {
  const alert = h('p', { class: 'error', role: 'alert' });
  const name = h('input', { id: 'new-channel-name', type: 'text', autocomplete: 'off', placeholder: 'e.g. plan-budget' });
  const isPrivate = h('input', { id: 'new-channel-private', type: 'checkbox' });
  const create = h('button', { type: 'submit', text: 'Create' });
  /** @param {SubmitEvent} event @param {() => void} close */
  const submit = async (event, close) => {
    event.preventDefault();
    create.disabled = true;
    try {
      const id = await createChannel(name.value.trim().replace(/^#/, ''), isPrivate.checked);
      close();
      onCreated(id);
    } catch (err) {
      alert.textContent = errorText(err instanceof ApiError ? err.code : 'unknown_error');
      create.disabled = false;
      name.focus();
    }
  };
  openModal({
    label: 'Create a channel',
    className: 'create-channel',
    content: (close) => [h('form', { onsubmit: (/** @type {SubmitEvent} */ event) => submit(event, close) },
      h('h2', { text: 'Create a channel' }),
      h('div', { class: 'field' }, h('label', { for: 'new-channel-name', text: 'Name' }), name),
      h('div', { class: 'field checkbox' }, isPrivate, h('label', { for: 'new-channel-private', text: 'Private' }),
        h('span', { class: 'hint', text: 'Only people who are invited can see it.' })),
      alert,
      h('div', { class: 'dialog-buttons' },
        h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: close }),
        create))],
  });
  name.focus();
}
