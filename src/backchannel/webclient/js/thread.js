// The thread panel: the root message, its replies, and a composer for replying.
import { composer } from './composer.js';
import { focusFirst, h, icon, replaceChildren } from './dom.js';
import { MessageList } from './messages.js';
import { conversationTitle } from './names.js';
import { closeThread, on, state, thread } from './store.js';

/** @returns {HTMLElement} the <aside>, hidden while no thread is open */
export function threadPanel() {
  const aside = h('aside', { class: 'thread', 'aria-label': 'Thread', hidden: true });
  let openKey = '';
  /** @type {MessageList|null} */
  let list = null;

  aside.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented) closeThread();
  });

  const draw = () => {
    const open = state.thread;
    const key = open ? `${open.channel}/${open.ts}` : '';
    if (key !== openKey) {
      openKey = key;
      // Closing with focus inside: hand it to the conversation's composer, not to <body>.
      if (!open && aside.contains(document.activeElement)) focusFirst(document, 'main textarea.composer-input');
      list = open ? build(aside, open.channel, open.ts) : null;
      if (open?.at) list?.reveal(open.at);
      aside.hidden = !open;
      if (!open) replaceChildren(aside);
      else requestAnimationFrame(() => aside.querySelector('textarea')?.focus());
    }
    if (!open || !list) return;
    const t = thread(open.channel, open.ts);
    list.render(t.parent ? [t.parent, ...t.replies] : t.replies);
  };

  on('thread', draw);
  on('users', () => { list?.forget(); draw(); });
  return aside;
}

/** @param {HTMLElement} aside @param {string} channel @param {string} ts */
function build(aside, channel, ts) {
  const conversation = state.conversations.get(channel);
  const log = h('div', { class: 'log', role: 'log', 'aria-label': 'Thread replies', 'aria-live': 'polite', tabindex: '0' });
  const canReply = conversation?.isMember && !conversation.isArchived;
  replaceChildren(aside,
    h('header', { class: 'thread-header' },
      h('h2', { text: 'Thread' }),
      conversation && h('span', { class: 'thread-channel', text: conversationTitle(conversation) }),
      h('button', { type: 'button', class: 'icon-button close', 'aria-label': 'Close thread', title: 'Close thread', onclick: closeThread }, icon('close'))),
    log,
    canReply && composer({
      channel,
      threadTs: ts,
      label: 'Reply in thread',
      ownMessages: () => thread(channel, ts).replies,
    }));
  return new MessageList(log, { channel, inThread: true });
}
