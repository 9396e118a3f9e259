// The Web API and the browser session (an xoxc token here plus the http-only `d` cookie
// the browser sends by itself: docs/web-client.md).

// Each tab keeps its own session (sessionStorage: a reload keeps it, other tabs do not see
// it), so two people signed in in one browser each keep theirs. The browser's latest
// sign-in or switch is also kept (localStorage) for the tabs opened next to start with.
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

/** Called once by main.js: what to do when the server says the session is over. @param {(code: string) => void} handler */
export function whenSessionOver(handler) {
  onSessionOver = handler;
}

/** @returns {Session|null} the tab's session; a new tab starts with the browser's latest */
export function loadSession() {
  const own = readSession(sessionStorage);
  if (own) return own;
  const latest = readSession(localStorage);
  if (latest) sessionStorage.setItem(SESSION_KEY, JSON.stringify(latest));
  return latest;
}

/** @param {Storage} storage */
function readSession(storage) {
  try {
    const session = JSON.parse(storage.getItem(SESSION_KEY) || 'null');
    return session && typeof session.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

/** Forget the tab's session, and the browser's latest if it is the same person's. */
export function forgetSession() {
  const own = readSession(sessionStorage);
  sessionStorage.removeItem(SESSION_KEY);
  if (own && readSession(localStorage)?.user_id === own.user_id) localStorage.removeItem(SESSION_KEY);
}

/** Leave the tab's session to its other tabs, to sign someone else in here. */
export function leaveSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** @param {Session} session */
function keepSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

/**
 * POST /auth/signin; keeps the session on success.
 * @param {{workspace?: string, email: string, password: string}} form
 * @returns {Promise<Session>}
 */
export async function signIn(form) {
  const body = await post('/auth/signin', form, {});
  const session = { token: body.token, user_id: body.user_id, team_id: body.team_id };
  keepSession(session);
  return session;
}

/**
 * POST /auth/switch: a session in another of the person's workspaces (an id or domain),
 * on the same cookie. It replaces the tab's session; the old token stays for the tabs that
 * may still use it (signing out revokes all of the person's).
 * @param {string} workspace
 * @returns {Promise<Session>}
 */
export async function switchWorkspace(workspace) {
  const old = loadSession();
  if (!old) return sessionOver(null, new ApiError('not_authed'));
  let body;
  try {
    body = await post('/auth/switch', { workspace }, authHeader(old));
  } catch (err) {
    return sessionOver(old, err);
  }
  const session = { token: body.token, user_id: body.user_id, team_id: body.team_id };
  keepSession(session);
  return session;
}

/**
 * POST /auth/signout: the person is signed out of every tab of this browser (their other
 * tabs' sockets close), the others signed in here stay. The tab's session is forgotten
 * whatever the server says.
 */
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
  if (!session) return sessionOver(null, new ApiError('not_authed'));
  try {
    return await post(`/api/${method}`, args, authHeader(session));
  } catch (err) {
    return sessionOver(session, err);
  }
}

/**
 * Rethrow `err`; first, if it ends the session, forget it and call the handler. A call made
 * with a token since replaced (a workspace switch revokes the old one) ends nothing.
 * @param {Session|null} session  the session the failed call used
 * @param {unknown} err
 * @returns {never}
 */
function sessionOver(session, err) {
  const code = err instanceof ApiError ? err.code : '';
  const current = loadSession();
  if (SESSION_OVER.has(code) && (!current || current.token === session?.token)) {
    forgetSession(); // nothing may retry with it
    onSessionOver(code);
  }
  throw err;
}

/** @param {Session} session */
function authHeader(session) {
  return { Authorization: `Bearer ${session.token}` };
}

/**
 * POST JSON; on 429 wait Retry-After and try once more. The reply is Slack's JSON, as sent.
 * @param {string} path @param {object} args @param {Record<string, string>} headers
 * @returns {Promise<any>}
 */
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
