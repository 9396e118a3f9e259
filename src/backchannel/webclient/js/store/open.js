// What is open on the page: the conversation, the thread, the message edited in place, and
// the socket's state.
import { data, emit } from './state.js';

/** The socket's state, for the sidebar. @param {import('./state.js').State['connection']} connection */
export function setConnection(connection) {
  data.connection = connection;
  emit('connection');
}

// -- what is open: the conversation, the thread, the message being edited ------------------

/** Open a conversation: the thread and the edit of the one before close. @param {string} id */
export function openConversation(id) {
  data.openId = id;
  data.editing = null;
  closeThread();
  emit('conversations');
}

/**
 * Open a thread; `at`: one of its messages to scroll to and mark (a permalink's).
 * @param {string} channel @param {string} ts @param {string} [at]
 */
export function openThread(channel, ts, at = '') {
  data.thread = { channel, ts, at };
  emit('thread');
}

export function closeThread() {
  data.thread = null;
  emit('thread');
}

/**
 * Edit a message in place; the editor takes the focus once (claimEditorFocus).
 * @param {string} channel @param {string} ts @param {string} draft  the text to start from
 */
export function startEditing(channel, ts, draft) {
  data.editing = { channel, ts, draft, focus: true };
  emit('history');
  emit('thread');
}

export function stopEditing() {
  data.editing = null;
  emit('history');
  emit('thread');
}

/** What is typed in the editor, kept for its redraws; no notice: the editor shows it already. @param {string} draft */
export function keepEditDraft(draft) {
  if (data.editing) data.editing.draft = draft;
}

/** True once after startEditing: the editor just drawn should take the focus. */
export function claimEditorFocus() {
  if (!data.editing?.focus) return false;
  data.editing.focus = false;
  return true;
}
