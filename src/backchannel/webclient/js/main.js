// Entry point: sign-in or boot (rtm.start, the websocket), the page's layout, routing by
// the URL's hash (#/<conversation id>), and switching workspace (a new boot).
import * as actions from './actions.js';
import { api, ApiError, loadSession, signOut, switchWorkspace, whenSessionChangedElsewhere, whenSessionOver } from './api.js';
import { conversationView } from './conversation.js';
import { createChannelDialog, errorText, toast } from './dialogs.js';
import { h, replaceChildren } from './dom.js';
import { handleEvent } from './events.js';
import { isOutsider } from './names.js';
import { Rtm } from './rtm.js';
import { sidebar } from './sidebar.js';
import { signInForm } from './signin.js';
import * as store from './store.js';
import { state } from './store.js';
import { openSwitcher } from './switcher.js';
import { threadPanel } from './thread.js';
import { workspaceRail } from './workspaces.js';

const PRESENCE_SUB_MAX = 500;
const app = /** @type {HTMLElement} */ (document.getElementById('app'));
/** @type {Rtm|null} */
let rtm = null;
/** @type {ReturnType<typeof conversationView>|null} */
let view = null;
let boots = 0; // a boot overtaken by a newer one (a switch, another tab) stops

whenSessionOver(() => {
  if (app.dataset.state === 'signed-out') return;
  endSession();
  showSignIn('Your session has ended. Please sign in again.');
});
// Another tab switched workspace or signed out: the session in storage is shared, so follow.
whenSessionChangedElsewhere((session) => {
  if (app.dataset.state === 'signed-out') return;
  if (!session) {
    endSession();
    showSignIn();
  } else if (session.team_id !== state.team?.id || session.user_id !== state.self?.id) {
    reboot();
  }
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

/** Boot: rtm.start, draw the app, open the socket. A server that is down is retried. */
async function enter(attempt = 0) {
  const mine = ++boots;
  app.dataset.state = 'loading';
  replaceChildren(app, h('p', { class: 'loading', role: 'status', text: attempt ? 'Cannot reach Backchannel. Retrying…' : 'Loading…' }));
  let boot;
  try {
    boot = await loadWorkspace(mine);
  } catch {
    if (!loadSession() || mine !== boots) return; // the session is over, or another boot took over
    setTimeout(() => mine === boots && enter(attempt + 1), Math.min(5000, 500 * 2 ** attempt));
    return;
  }
  drawApp();
  app.dataset.state = 'signed-in';
  rtm = new Rtm({
    onEvent: handleEvent,
    onHello,
    onState: (connection) => {
      state.connection = connection;
      store.emit('connection');
    },
  });
  actions.useRtm(rtm);
  rtm.start(boot.url);
  route();
}

/**
 * rtm.start into the store, with the mention counts from client.counts if it lacks them, and
 * the person's workspaces for the switcher. A boot overtaken by a newer one throws.
 */
async function loadWorkspace(mine = boots) {
  const [boot, teams] = await Promise.all([api('rtm.start'), loadTeams()]);
  if (mine !== boots) throw new Error('overtaken');
  store.loadBoot(boot);
  store.setTeams(teams.length ? teams : [boot.team]);
  const joined = [...boot.channels, ...boot.groups, ...boot.mpims].filter((c) => c.is_member);
  if (joined.some((c) => c.mention_count === undefined)) {
    try {
      const counts = await api('client.counts');
      for (const c of mine === boots ? [...counts.channels, ...counts.mpims, ...counts.ims] : []) {
        store.patchConversation(c.id, { unread: c.unread_count, mentions: c.mention_count, lastRead: c.last_read });
      }
    } catch {
      // Badges then show unread counts without mentions until the next boot.
    }
    if (mine !== boots) throw new Error('overtaken');
  }
  return boot;
}

/** auth.teams.list; without it the switcher is not shown, and other workspaces go unnamed. */
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
    sidebar({ onCreate: () => createChannelDialog(open), onSwitcher: () => openSwitcher(choose), onSignOut: signOutNow }),
    view.main,
    threadPanel());
  replaceChildren(app, shell);
  store.on('conversations', () => {
    if (state.openId && !state.conversations.has(state.openId)) goHome();
  });
}

function onHello(hello) {
  // Presence of everyone we may show (DM partners, authors): the workspace's people, capped.
  const ids = [...state.users.values()].filter((u) => !u.is_bot && !u.deleted && !isOutsider(u)).map((u) => u.id);
  rtm?.send({ type: 'presence_sub', ids: ids.slice(0, PRESENCE_SUB_MAX) });
  if (hello.limited) resync();
}

/** The server could not replay everything we missed: fetch the state afresh. */
async function resync() {
  try {
    await loadWorkspace();
  } catch {
    return; // still down: the next hello tries again
  }
  if (!state.conversations.has(state.openId)) return goHome();
  await view?.reload();
  if (state.thread) actions.loadThread(state.thread.channel, state.thread.ts).catch(() => {});
}

async function route() {
  if (app.dataset.state !== 'signed-in') return;
  const id = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  if (!/^[A-Z0-9]+$/.test(id)) return goHome();
  if (id === state.openId) return;
  try {
    await actions.ensureConversation(id);
  } catch (err) {
    if (err instanceof ApiError && err.code !== 'network_error') toast(errorText(err.code));
    return goHome();
  }
  state.openId = id;
  state.editing = null;
  actions.closeThread();
  store.emit('conversations');
  view?.show(id);
}

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
async function choose(item) {
  if (item.id) return open(item.id);
  try {
    open(await actions.openDm([item.userId]));
  } catch (err) {
    toast(errorText(err instanceof ApiError ? err.code : 'unknown_error'));
  }
}

/** The workspace switcher: a session in that workspace, then boot into it. */
async function switchTo(teamId) {
  try {
    await switchWorkspace(teamId);
  } catch (err) {
    if (app.dataset.state === 'signed-in') toast(errorText(err instanceof ApiError ? err.code : 'unknown_error'));
    return;
  }
  reboot();
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

function endSession() {
  rtm?.stop();
  rtm = null;
  view = null;
  actions.resetActions();
  store.reset();
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  state.connection = 'connecting';
}
