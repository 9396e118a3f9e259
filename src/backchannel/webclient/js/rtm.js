// The RTM websocket: hello, events, pings, and resuming after any break (docs/realtime.md).
import { api } from './api.js';

const PING_EVERY_MS = 20_000;
const MAX_BACKOFF_MS = 5_000;

/** @typedef {'connecting'|'connected'|'reconnecting'|'offline'} ConnectionState */

/**
 * @typedef {object} RtmHandlers
 * @property {(event: any) => void} onEvent       every frame but hello, pong and errors
 * @property {(hello: any) => void} onHello        after each (re)connect
 * @property {(state: ConnectionState) => void} onState
 */

export class Rtm {
  /** @param {RtmHandlers} handlers */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {WebSocket|null} */
    this.socket = null;
    this.resume = '';     // the last resume token seen: the server replays what follows it
    this.attempt = 0;     // failed attempts since the last hello, for the backoff
    this.stopped = false;
    this.pingId = 0;
    this.awaitingPong = false;
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

  /** Open the first socket with the URL rtm.start returned. */
  start(url) {
    this.setState('connecting');
    this.open(url);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.retry);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.socket?.close(1000);
    this.socket = null;
  }

  /** Send a frame if connected; frames are best effort (typing, presence_sub). */
  send(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  setState(state) {
    if (!navigator.onLine && state !== 'connected') state = 'offline';
    this.state = state;
    this.handlers.onState(state);
  }

  open(url) {
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener('message', (e) => socket === this.socket && this.receive(e.data));
    socket.addEventListener('close', () => socket === this.socket && this.lost());
    // An error is always followed by close; nothing to do here.
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame.resume === 'string') this.resume = frame.resume;
    if (frame.type === 'hello') return this.hello(frame);
    if (frame.type === 'pong') return void (this.awaitingPong = false);
    if (frame.type === 'goodbye') return this.socket?.close(1000);
    if (frame.type === 'error' || frame.reply_to !== undefined) return;
    this.handlers.onEvent(frame);
  }

  hello(frame) {
    this.attempt = 0;
    this.setState('connected');
    this.startPinging();
    this.handlers.onHello(frame);
  }

  /** A ping without its pong by the next one means a dead link the browser has not noticed. */
  startPinging() {
    clearInterval(this.timers.ping);
    this.awaitingPong = false;
    this.timers.ping = setInterval(() => {
      if (this.awaitingPong) return this.socket?.close(4000);
      this.awaitingPong = true;
      this.send({ type: 'ping', id: ++this.pingId });
    }, PING_EVERY_MS);
  }

  lost() {
    clearInterval(this.timers.ping);
    this.socket = null;
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
      // A session-ending error stops us through api()'s handler; anything else: try again.
      if (!this.stopped) this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const resume = this.resume ? `&resume=${encodeURIComponent(this.resume)}` : '';
    this.open(url + resume);
  }
}
