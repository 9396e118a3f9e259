// Slack's message format, rendered to DOM nodes (never HTML strings), and escaped for sending.
//
// Order matters: `<...>` tokens are set aside first (so a URL's underscores are not italics),
// then code blocks, inline code and *bold* _italic_ ~strike~; entities are decoded last, in
// text nodes only, so `&lt;script&gt;` can never become markup.
import { h } from './dom.js';
import { knownEmoji } from './emoji.js';
import { userName } from './names.js';
import { state } from './store.js';

const OPEN = '\uE000'; // private-use characters stand in for the set-aside tokens
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const CODE_BLOCK = /```\n?([\s\S]*?)```/g;
const INLINE = /`([^`\n]+)`|(?<![\p{L}\p{N}])([*_~])(?=\S)([^\n]*?\S)\2(?![\p{L}\p{N}])/gu;
/** @type {Record<string, string>} */
const STYLE_TAGS = { '*': 'strong', _: 'em', '~': 's' };
const SAFE_LINK = /^(https?:|mailto:)/i;
const ID = /^[A-Z0-9]+$/;

/** Escape typed text as Slack's clients do: only &, < and > are special. @param {string} text */
export function escapeText(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The reverse of escapeText (&amp; last, so "&amp;lt;" stays "&lt;"). @param {string} text */
export function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Render a message's text.
 * @param {string} [text] Slack mrkdwn, as the API sends it (a message may have none)
 * @returns {DocumentFragment}
 */
export function renderMrkdwn(text) {
  /** @type {string[]} */
  const tokens = [];
  const marked = String(text ?? '')
    .replace(/[\uE000\uE001]/g, '\uFFFD')
    .replace(/<([^<>\n]*)>/g, (_, inner) => `${OPEN}${tokens.push(inner) - 1}${CLOSE}`);
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of marked.matchAll(CODE_BLOCK)) {
    inline(marked.slice(last, match.index), fragment, tokens);
    fragment.append(h('pre', { class: 'code-block', text: literal(match[1], tokens) }));
    last = match.index + match[0].length;
  }
  inline(marked.slice(last), fragment, tokens);
  return fragment;
}

/**
 * Inline code and styles, recursively; the rest is plain text.
 * @param {string} text @param {ParentNode} parent @param {string[]} tokens
 */
function inline(text, parent, tokens) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    plain(text.slice(last, match.index), parent, tokens);
    if (match[1] !== undefined) {
      parent.append(h('code', { text: literal(match[1], tokens) }));
    } else {
      const styled = document.createElement(STYLE_TAGS[match[2]]);
      inline(match[3], styled, tokens);
      parent.append(styled);
    }
    last = match.index + match[0].length;
  }
  plain(text.slice(last), parent, tokens);
}

/**
 * Text with its tokens put back as nodes, entities decoded and :emoji: replaced.
 * @param {string} text @param {ParentNode} parent @param {string[]} tokens
 */
function plain(text, parent, tokens) {
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    parent.append(emojify(decodeEntities(text.slice(last, match.index))));
    parent.append(tokenNode(tokens[Number(match[1])]));
    last = match.index + match[0].length;
  }
  parent.append(emojify(decodeEntities(text.slice(last))));
}

/** Code keeps its tokens as typed. @param {string} text @param {string[]} tokens */
function literal(text, tokens) {
  return decodeEntities(text.replace(PLACEHOLDER, (_, /** @type {string} */ i) => `<${tokens[Number(i)]}>`));
}

/** @param {string} text */
export function emojify(text) {
  return text.replace(/:([a-z0-9_+'-]+):/g, (whole, /** @type {string} */ name) => knownEmoji(name) || whole);
}

/** One `<...>` token: a mention, a channel, a special mention or a link; else its own text. @param {string} inner */
function tokenNode(inner) {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? '' : decodeEntities(inner.slice(bar + 1));
  const id = target.slice(1);
  if (target.startsWith('@') && ID.test(id)) {
    const name = state.users.has(id) ? userName(id) : label || id;
    const you = id === state.self?.id ? ' you' : '';
    return h('span', { class: `mention${you}`, dataset: { user: id }, text: `@${name}` });
  }
  if (target.startsWith('#') && ID.test(id)) {
    const name = state.conversations.get(id)?.name || label || id;
    return h('a', { class: 'channel-link', href: `#/${id}`, text: `#${name}` });
  }
  if (target.startsWith('!')) return specialNode(id, label) || literalToken(inner);
  return linkNode(decodeEntities(target), label) || literalToken(inner);
}

/** @param {string} command @param {string} label */
function specialNode(command, label) {
  if (['here', 'channel', 'everyone'].includes(command)) {
    return h('span', { class: 'mention broadcast', text: `@${command}` });
  }
  if ((command.startsWith('subteam^') || command.startsWith('date^')) && label) {
    return h('span', { class: command.startsWith('date^') ? 'date' : 'mention', text: label });
  }
  return null;
}

/** @param {string} url @param {string} label */
function linkNode(url, label) {
  if (!SAFE_LINK.test(url)) return null;
  let href;
  try {
    href = new URL(url).href;
  } catch {
    return null;
  }
  const text = label || url.replace(/^mailto:/i, '');
  return h('a', { href, rel: 'noopener noreferrer', target: '_blank', text });
}

/** @param {string} inner */
function literalToken(inner) {
  return document.createTextNode(`<${decodeEntities(inner)}>`);
}

/** A message's text as its author would retype it (for the edit box): tokens back to
 * what encode() in actions.js turns into them again, entities decoded.
 * @param {string} [text] */
export function editableText(text) {
  return decodeEntities(String(text ?? '').replace(/<([^<>\n]*)>/g, (whole, /** @type {string} */ inner) => {
    const [target, label] = inner.split('|');
    if (target.startsWith('@')) return `@${state.users.get(target.slice(1))?.name || label || target.slice(1)}`;
    if (target.startsWith('#')) return `#${label || state.conversations.get(target.slice(1))?.name || target.slice(1)}`;
    if (['!here', '!channel', '!everyone'].includes(target)) return `@${target.slice(1)}`;
    if (SAFE_LINK.test(target)) return label && label !== target ? `${label} (${target})` : target;
    return whole;
  }));
}
