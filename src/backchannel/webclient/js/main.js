// Entry point: sign-in or boot (the websocket, client.boot on it), the page's layout,
// routing by the URL's hash (#/<conversation id>) or a permalink (/archives/...), and
// switching workspace (a new boot).
import * as actions from './actions.js';
import { api, ApiError, leaveSession, loadSession, signOut, switchWorkspace, whenSessionOver } from './api.js';
import { conversationView } from './conversation.js';
import { createChannelDialog, errorText, toast } from './dialogs.js';
import * as directory from './directory.js';
import { h, replaceChildren } from './dom.js';
import { handleEvent } from './events.js';
import { isOutsider } from './names.js';
import { homeTeamOf, leavePermalink, permalinkHere } from './permalink.js';
import { Rtm, socket, useSocket } from './rtm.js';
import { sidebar } from './sidebar.js';
import { signInForm } from './signin.js';
import * as store from './store.js';
import { state } from './store.js';
import { openSwitcher } from './switcher.js';
import { threadPanel } from './thread.js';
import { workspaceRail } from './workspaces.js';

const PRESENCE_SUB_MAX = 500;
const app = /** @type {HTMLElement} */ (document.getElementById('app'));
/** @type {ReturnType<typeof conversationView>|null} */
let view = null;
let boots = 0; // a boot overtaken by a newer one (a switch, another tab) stops

whenSessionOver(() => {
  if (app.dataset.state === 'signed-out') return;
  endSession();
  showSignIn('Your session has ended. Please sign in again.');
});
document.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k' && app.dataset.state === 'signed-in') {
    event.preventDefault();
    openSwitcher(choose);
  }
});
window.addEventListener('hashchange', route);
window.addEventListener('focus', actions.markOpenRead);
document.addEventListener('visibilitychange', actions.markOpenRead);

if (loadSession()) enter();
else showSignIn();

function showSignIn(notice = '') {
  app.dataset.state = 'signed-out';
  replaceChildren(app, signInForm({ onSignedIn: () => enter(), notice }));
}

/**
 * Boot: rtm.connect and the socket (retried while the server is down), the lean boot on it
 * (client.boot) and auth.teams.list, then draw the app.
 */
async function enter() {
  const mine = ++boots;
  app.dataset.state = 'loading';
  const notice = h('p', { class: 'loading', role: 'status', text: 'Loading…' });
  replaceChildren(app, notice);
  const teams = loadTeams();
  /** @type {(value?: unknown) => void} */
  let booted = () => {};
  const firstBoot = new Promise((resolve) => (booted = resolve));
  const connection = new Rtm({
    onEvent: handleEvent,
    onHello: async (hello) => {
      await boot(connection, hello);
      booted();
    },
    onState: (value) => {
      store.setConnection(value);
      if (app.dataset.state === 'loading' && value !== 'connecting') notice.textContent = 'Cannot reach Backchannel. Retrying…';
    },
  });
  useSocket(connection);
  connection.start();
  const [list] = await Promise.all([teams, firstBoot]);
  if (mine !== boots) return; // the session is over, or another boot took over
  store.setTeams(list.length ? list : state.team ? [state.team] : []);
  drawApp();
  app.dataset.state = 'signed-in';
  route();
}

/**
 * The lean boot, on every new socket (docs/edge-cache.md): the store gets what the page
 * shows first, and the edge learns what this socket has been sent. The events that arrived
 * meanwhile are handed on after it (rtm.js). Throws if the socket is gone first.
 * @param {Rtm} connection @param {{limited?: boolean}} hello
 */
async function boot(connection, hello) {
  const reply = await connection.request({ type: 'client.boot' });
  store.loadBoot(reply);
  subscribePresence(connection, { again: true });
  actions.markOpenRead(); // the boot's counts do not know what is being read right now
  if (hello.limited) resync();
}

/**
 * auth.teams.list; without it the switcher is not shown, and other workspaces go unnamed.
 * @returns {Promise<import('./types.js').Team[]>}
 */
async function loadTeams() {
  try {
    return (await api('auth.teams.list')).teams;
  } catch {
    return [];
  }
}

function drawApp() {
  view = conversationView({ onLeft: goHome });
  const shell = h('div', { class: 'shell' },
    workspaceRail({ onSwitch: switchTo }),
    sidebar({ onCreate: () => createChannelDialog(open), onSwitcher: () => openSwitcher(choose), onSignOut: signOutNow, onSignInOther: signInOther }),
    view.main,
    threadPanel());
  replaceChildren(app, shell);
  store.on('conversations', () => {
    if (state.openId && !state.conversations.has(state.openId)) goHome();
    const connection = socket();
    if (connection) subscribePresence(connection);
  });
}

let presenceIds = '';

/**
 * Presence of the people whose dots we show: ourselves and our DMs' people (capped). Sent
 * on each new socket, and again when a DM comes or goes.
 * @param {Rtm} connection
 */
function subscribePresence(connection, { again = false } = {}) {
  const ims = [...state.conversations.values()].filter((c) => c.kind === 'im' && c.isMember).map((c) => c.user);
  const ids = [...new Set([state.self?.id, ...ims])]
    .filter((id) => id && !isOutsider(state.users.get(id)))
    .slice(0, PRESENCE_SUB_MAX);
  if (!again && ids.join() === presenceIds) return;
  presenceIds = ids.join();
  connection.send({ type: 'presence_sub', ids });
}

/**
 * The server could not replay everything we missed (a `limited` hello): the boot has
 * brought the conversations afresh, but loaded messages may have gaps. The open
 * conversation and thread are loaded again, the others when next opened.
 */
async function resync() {
  store.dropHistoriesNotOpen();
  if (!state.conversations.has(state.openId)) return goHome();
  await view?.reload();
  if (state.thread) actions.loadThread(state.thread.channel, state.thread.ts).catch(() => {});
}

async function route() {
  if (app.dataset.state !== 'signed-in') return;
  const link = permalinkHere();
  if (link) return openPermalink(link);
  const id = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  if (!/^[A-Z0-9]+$/.test(id)) return goHome();
  if (id === state.openId) return;
  try {
    await actions.ensureConversation(id);
  } catch (err) {
    if (err instanceof ApiError && err.code !== 'network_error') toast(errorText(err.code));
    return goHome();
  }
  show(id);
}

/**
 * Open conversation `id` (in the store), at a permalink's message if given.
 * @param {string} id @param {import('./permalink.js').Permalink|null} [link]
 */
function show(id, link = null) {
  store.openConversation(id);
  view?.show(id, { at: link?.threadTs || link?.ts || '' });
  if (link?.threadTs) actions.openThread(id, link.threadTs, { at: link.ts }).catch(() => toast(errorText('thread_not_found')));
}

/**
 * A permalink (docs/web-client.md): its conversation, in the person's workspace that has it
 * (switching to it first: the new boot opens the link, still the page's address), scrolled to
 * its message, with its thread open for a reply.
 * @param {import('./permalink.js').Permalink} link
 */
async function openPermalink(link) {
  try {
    await actions.ensureConversation(link.channel);
  } catch (err) {
    const home = homeTeamOf(link.channel, state.teams);
    const elsewhere = err instanceof ApiError && err.code === 'channel_not_found' && home && home.id !== state.team?.id;
    if (elsewhere && await switchTo(home.id)) return;
    leavePermalink();
    if (err instanceof ApiError && err.code !== 'network_error') toast(errorText(err.code));
    return goHome();
  }
  leavePermalink(link.channel);
  show(link.channel, link);
}

/** @param {string} id */
function open(id) {
  location.hash = `#/${id}`;
}

/** #general, or else the first channel you are in. */
function goHome() {
  const mine = [...state.conversations.values()].filter((c) => c.isMember && !c.isArchived);
  const home = mine.find((c) => c.isGeneral) || mine.find((c) => c.kind === 'public') || mine[0];
  if (!home) return;
  if (location.hash === `#/${home.id}`) route();
  else open(home.id);
}

/** A switcher choice: a conversation, or a person (their DM is opened first). */
/** @param {import('./switcher.js').Item} item */
async function choose(item) {
  if (item.kind !== 'person') return open(item.id);
  try {
    open(await actions.openDm([item.userId]));
  } catch (err) {
    toast(errorText(err instanceof ApiError ? err.code : 'unknown_error'));
  }
}

/** The workspace switcher: a session in that workspace, then boot into it. False if refused. @param {string} teamId */
async function switchTo(teamId) {
  try {
    await switchWorkspace(teamId);
  } catch (err) {
    if (app.dataset.state === 'signed-in') toast(errorText(err instanceof ApiError ? err.code : 'unknown_error'));
    return false;
  }
  reboot();
  return true;
}

/** Boot afresh into the session's workspace, from its home (the URL's conversation was the other one's). */
function reboot() {
  endSession();
  history.replaceState(null, '', location.pathname + location.search);
  enter();
}

async function signOutNow() {
  endSession(); // first: a socket closed by the revocation must not try to resume
  await signOut();
  showSignIn();
}

/** Sign someone else in, in this tab: the person here stays signed in in their other tabs. */
function signInOther() {
  endSession();
  leaveSession();
  showSignIn();
}

function endSession() {
  socket()?.stop();
  useSocket(null);
  presenceIds = '';
  view = null;
  actions.resetActions();
  directory.resetDirectory();
  store.reset();
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
}
