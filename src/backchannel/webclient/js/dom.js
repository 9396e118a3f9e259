// Tiny DOM helpers. Everything user-supplied goes through text nodes, never innerHTML.

/**
 * Create an element. `props` keys: `class`, `text`, `on<event>` handlers, `dataset` (object),
 * boolean DOM properties (hidden, disabled, checked), anything else becomes an attribute.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key in PROPS) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const PROPS = { hidden: 1, disabled: 1, checked: 1, value: 1, htmlFor: 1, readOnly: 1 };

/** @param {Node} parent @param {Array<Node|string|null|undefined|false>} children */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Text that only screen readers get. */
export function srOnly(text) {
  return h('span', { class: 'sr-only', text });
}

/** A decorative glyph hidden from screen readers. */
export function glyph(text, cls = 'glyph') {
  return h('span', { class: cls, 'aria-hidden': 'true', text });
}

/** A drawn icon (style.css: .icon-<name>), hidden from screen readers. */
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

/** Replace all children of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Elements inside `root` that Tab can reach. */
export function focusables(root) {
  const selector = 'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(selector)].filter((el) => el.getClientRects().length > 0);
}
