// The Web API and the browser session (an xoxc token here plus the http-only `d` cookie
// the browser sends by itself: docs/web-client.md).

const SESSION_KEY = 'backchannel.session';
/** Errors that mean the token is no good any more: back to the sign-in form. */
const SESSION_OVER = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'account_inactive']);

/** @typedef {{token: string, user_id: string, team_id: string}} Session */

export class ApiError extends Error {
  /** @param {string} code Slack's error string, or `network_error` when nothing answered */
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** @type {(code: string) => void} */
let onSessionOver = () => {};

/** Called once by main.js: what to do when the server says the session is over. */
export function whenSessionOver(handler) {
  onSessionOver = handler;
}

/** @returns {Session|null} */
export function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || 'null');
    return session && typeof session.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function forgetSession() {
  localStorage.removeItem(SESSION_KEY);
}

/**
 * POST /auth/signin; keeps the session on success.
 * @param {{workspace?: string, email: string, password: string}} form
 * @returns {Promise<Session>}
 */
export async function signIn(form) {
  const body = await post('/auth/signin', form, {});
  const session = { token: body.token, user_id: body.user_id, team_id: body.team_id };
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** POST /auth/signout; the local session is forgotten whatever the server says. */
export async function signOut() {
  const session = loadSession();
  forgetSession();
  if (!session) return;
  try {
    await post('/auth/signout', {}, authHeader(session));
  } catch {
    // Already revoked or unreachable: the cookie expires on its own.
  }
}

/**
 * Call a Web API method. Throws ApiError; a session-ending error also calls the handler
 * given to whenSessionOver.
 * @param {string} method
 * @param {Record<string, any>} [args]
 */
export async function api(method, args = {}) {
  const session = loadSession();
  if (!session) {
    onSessionOver('not_authed');
    throw new ApiError('not_authed');
  }
  try {
    return await post(`/api/${method}`, args, authHeader(session));
  } catch (err) {
    if (err instanceof ApiError && SESSION_OVER.has(err.code)) {
      forgetSession(); // nothing may retry with it
      onSessionOver(err.code);
    }
    throw err;
  }
}

function authHeader(session) {
  return { Authorization: `Bearer ${session.token}` };
}

/** POST JSON; on 429 wait Retry-After and try once more. */
async function post(path, args, headers, retried = false) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(args),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError('network_error');
  }
  if (response.status === 429 && !retried) {
    const seconds = Number(response.headers.get('Retry-After')) || 1;
    await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 60) * 1000));
    return post(path, args, headers, true);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.ok ? 'invalid_response' : 'network_error');
  }
  if (!body || body.ok !== true) throw new ApiError(body?.error || 'unknown_error');
  return body;
}
