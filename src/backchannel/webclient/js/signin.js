// The sign-in form.
import { ApiError, signIn } from './api.js';
import { errorText } from './dialogs.js';
import { focusFirst, h } from './dom.js';

/**
 * @param {{onSignedIn: () => void, notice?: string}} options
 * @returns {HTMLElement}
 */
export function signInForm({ onSignedIn, notice = '' }) {
  /** @type {(id: string, label: string, attrs: Record<string, any>) => HTMLElement} */
  const field = (id, label, attrs) => h('div', { class: 'field' },
    h('label', { for: id, text: label }), h('input', { id, name: id, ...attrs }));
  const alert = h('p', { class: 'error', role: 'alert', text: notice });
  const button = h('button', { type: 'submit', text: 'Sign in' });
  const form = h('form', { class: 'signin', 'aria-label': 'Sign in', novalidate: true },
    h('h1', { text: 'Sign in to Backchannel' }),
    field('workspace', 'Workspace', { type: 'text', autocomplete: 'organization', placeholder: 'acme (optional)' }),
    field('email', 'Email', { type: 'email', autocomplete: 'username', required: true }),
    field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
    alert,
    button);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const workspace = String(data.get('workspace') || '').trim();
    const email = String(data.get('email') || '').trim();
    const password = String(data.get('password') || '');
    if (!email || !password) {
      alert.textContent = errorText('invalid_arguments');
      return;
    }
    alert.textContent = '';
    button.disabled = true;
    try {
      await signIn({ ...(workspace ? { workspace } : {}), email, password });
      onSignedIn();
    } catch (err) {
      alert.textContent = errorText(err instanceof ApiError ? err.code : 'unknown_error');
      button.disabled = false;
    }
  });
  requestAnimationFrame(() => focusFirst(form, '#email'));
  return h('div', { class: 'signin-page' }, form);
}
