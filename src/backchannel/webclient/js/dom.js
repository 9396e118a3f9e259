// Tiny DOM helpers. Everything user-supplied goes through text nodes, never innerHTML.

/**
 * Create an element. `props` keys: `class`, `text`, `on<event>` handlers, `dataset` (object),
 * boolean DOM properties (hidden, disabled, checked), anything else becomes an attribute.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in PROPS) /** @type {Record<string, any>} */ (el)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const PROPS = { hidden: 1, disabled: 1, checked: 1, value: 1, htmlFor: 1, readOnly: 1 };

/** @param {ParentNode} parent @param {Child[]} children */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/**
 * What h() and append() take: a node, text, nothing (null, false, undefined), or a list of
 * those (one level: it is flattened once).
 * @typedef {Node|string|null|undefined|false} Leaf
 * @typedef {Leaf|Leaf[]} Child
 */

/** Text that only screen readers get. @param {string} text */
export function srOnly(text) {
  return h('span', { class: 'sr-only', text });
}

/** A decorative glyph hidden from screen readers. @param {string} text */
export function glyph(text, cls = 'glyph') {
  return h('span', { class: cls, 'aria-hidden': 'true', text });
}

/** A drawn icon (style.css: .icon-<name>), hidden from screen readers. @param {string} name */
export function icon(name, extra = '') {
  return h('span', { class: `icon icon-${name} ${extra}`.trim(), 'aria-hidden': 'true' });
}

/**
 * The page is in front of the person: its tab visible and focused. Never where there is no
 * page (Node, which runs the store's unit tests through events.js).
 */
export function pageSeen() {
  return typeof document !== 'undefined' && document.hasFocus() && document.visibilityState === 'visible';
}

/**
 * Focus the first element inside `root` that matches `selector`, if there is one.
 * @param {ParentNode} root @param {string} selector
 */
export function focusFirst(root, selector) {
  /** @type {HTMLElement|null} */ (root.querySelector(selector))?.focus();
}

/** Replace all children of `el`. @param {Element} el @param {...Child} children */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Elements inside `root` that Tab can reach. @param {ParentNode} root */
export function focusables(root) {
  const selector = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [.../** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector))].filter((el) => el.getClientRects().length > 0);
}
