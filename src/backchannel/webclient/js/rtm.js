// The RTM websocket: hello, the lean boot on every socket, requests and their replies,
// events, pings, and resuming after any break (docs/realtime.md, docs/edge-cache.md).
import { api, ApiError } from './api.js';

const PING_EVERY_MS = 20_000;
const MAX_BACKOFF_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000; // a reply that never comes (the edge may drop a frame it rate-limits)

/** @typedef {'connecting'|'connected'|'reconnecting'|'offline'} ConnectionState */

/**
 * @typedef {object} RtmHandlers
 * @property {(event: any, options: {held: boolean}) => void} onEvent
 *   every frame but hello, pong, errors and replies; `held`: it arrived before the boot's reply
 * @property {(hello: any) => Promise<void>} onHello
 *   after each (re)connect: the boot (client.boot). Events wait until it is done; if it
 *   fails, the socket is closed and opened again.
 * @property {(state: ConnectionState) => void} onState
 */

const BOOT_FAILED = 4001; // our own close code: a boot that failed, try a new socket
// What the server says before closing a socket to be opened again: another edge owns the
// workspace now (goodbye), or the workspace moves to another DB shard.
const COME_BACK = new Set(['goodbye', 'team_migration_started']);

/** @type {Rtm|null} the page's socket: one a session, opened by main.js */
let current = null;

/** The socket of this session (null between sessions), for whatever sends on it. */
export function socket() {
  return current;
}

/** @param {Rtm|null} rtm */
export function useSocket(rtm) {
  current = rtm;
}

export class Rtm {
  /** @param {RtmHandlers} handlers */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {WebSocket|null} */
    this.socket = null;
    this.resume = '';     // the last resume token seen: the server replays what follows it
    this.attempt = 0;     // failed attempts since the last boot, for the backoff
    this.stopped = false;
    this.lastId = 0;      // frame ids: pings and requests
    this.awaitingPong = false;
    /** @type {Map<number, {resolve: (reply: any) => void, reject: (err: Error) => void, timer: number}>} */
    this.pending = new Map();
    /** @type {any[]|null} events held while the socket boots (null: none is booting) */
    this.held = null;
    this.timers = { ping: 0, retry: 0 };
    this.onOnline = () => this.reconnectNow();
    // Offline, the socket is as good as dead: close it now and resume when back online.
    this.onOffline = () => {
      this.setState('offline');
      this.socket?.close();
    };
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
  }

  /** Ask rtm.connect for the edge's URL and open the first socket. */
  start() {
    this.setState('connecting');
    this.reconnect();
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.retry);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.socket?.close(1000);
    this.socket = null;
    this.dropPending();
  }

  /** Send a frame if connected; frames are best effort (typing, presence_sub). @param {Record<string, any>} frame */
  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  /**
   * A request frame on the socket (`id` added); its reply (`{"ok": true, "reply_to": id, ...}`).
   * Rejects with ApiError: the error's code, network_error when the socket is not open or
   * closes first, timeout when no reply comes.
   * @param {Record<string, any>} frame
   * @returns {Promise<any>}
   */
  request(frame) {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return Promise.reject(new ApiError('network_error'));
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle({ reply_to: id, ok: false, error: { msg: 'timeout' } }), REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** @param {ConnectionState} state */
  setState(state) {
    if (!navigator.onLine && state !== 'connected') state = 'offline';
    this.state = state;
    this.handlers.onState(state);
  }

  /** @param {string} url */
  open(url) {
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener('message', (e) => socket === this.socket && this.receive(e.data));
    socket.addEventListener('close', () => socket === this.socket && this.lost());
    // An error is always followed by close; nothing to do here.
  }

  /** @param {string} data a frame, as JSON */
  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame.resume === 'string') this.resume = frame.resume;
    if (frame.type === 'hello') return void this.hello(frame);
    if (frame.type === 'pong') return void (this.awaitingPong = false);
    if (COME_BACK.has(frame.type)) return this.socket?.close(1000);
    if (frame.reply_to !== undefined && this.pending.has(frame.reply_to)) return this.settle(frame);
    if (frame.type === 'error' || frame.reply_to !== undefined) return;
    if (this.held) this.held.push(frame);
    else this.handlers.onEvent(frame, { held: false });
  }

  /**
   * A reply: `{"ok": false, "error": {"msg": code}}`, and an error event, are failures.
   * @param {{reply_to: number, ok?: boolean, error?: {msg?: string}}} frame
   */
  settle(frame) {
    const waiting = this.pending.get(frame.reply_to);
    if (!waiting) return;
    const { resolve, reject, timer } = waiting;
    clearTimeout(timer);
    this.pending.delete(frame.reply_to);
    if (frame.ok === true) resolve(frame);
    else reject(new ApiError(frame.error?.msg || 'unknown_error'));
  }

  /**
   * The boot comes first on every socket: what arrives meanwhile is held, and handed on
   * once the boot is in the store (marked `held`: the boot may already reflect it).
   * @param {any} frame
   */
  async hello(frame) {
    const socket = this.socket;
    this.held = [];
    this.startPinging();
    try {
      await this.handlers.onHello(frame);
    } catch {
      if (socket === this.socket) socket?.close(BOOT_FAILED); // lost() retries, with backoff
      return;
    }
    if (socket !== this.socket || this.stopped) return;
    const held = this.held || [];
    this.held = null;
    this.attempt = 0;
    this.setState('connected');
    for (const event of held) this.handlers.onEvent(event, { held: true });
  }

  /** A ping without its pong by the next one means a dead link the browser has not noticed. */
  startPinging() {
    clearInterval(this.timers.ping);
    this.awaitingPong = false;
    this.timers.ping = setInterval(() => {
      if (this.awaitingPong) return this.socket?.close(4000);
      this.awaitingPong = true;
      this.send({ type: 'ping', id: ++this.lastId });
    }, PING_EVERY_MS);
  }

  lost() {
    clearInterval(this.timers.ping);
    this.socket = null;
    this.held = null;
    this.dropPending();
    if (this.stopped) return;
    this.setState('reconnecting');
    this.scheduleRetry();
  }

  /** 0.5 s, 1, 2, 4, then 5 s between attempts, each ±20 % so tabs don't come back at once. */
  scheduleRetry() {
    clearTimeout(this.timers.retry);
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.timers.retry = setTimeout(() => this.reconnect(), base * (0.8 + Math.random() * 0.4));
  }

  /** Requests still waiting fail: their socket is gone, and the reply with it. */
  dropPending() {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject, timer } of pending) {
      clearTimeout(timer);
      reject(new ApiError('network_error'));
    }
  }

  reconnectNow() {
    if (this.stopped || this.socket) return;
    this.attempt = 0;
    this.setState('reconnecting');
    clearTimeout(this.timers.retry);
    this.reconnect();
  }

  async reconnect() {
    if (this.stopped || this.socket) return;
    let url;
    try {
      ({ url } = await api('rtm.connect'));
    } catch {
      // A session-ending error stops us through api()'s handler; anything else (such as
      // migration_in_progress while the workspace moves shard): try again, with the backoff.
      if (this.stopped) return;
      this.setState('reconnecting');
      this.scheduleRetry();
      return;
    }
    if (this.stopped || this.socket) return; // another attempt got there first
    const resume = this.resume ? `&resume=${encodeURIComponent(this.resume)}` : '';
    this.open(url + resume);
  }
}
