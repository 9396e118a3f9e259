// The store: the client's state (people, conversations with their read state, loaded
// messages, what is open) and the only functions that change it (docs/web-client.md,
// "State"); every other module reads `state` and imports from here. Reducers are
// idempotent (an API reply and its RTM event may both arrive); views subscribe to topics,
// and changes are coalesced to one notification per microtask.
//
// It lives in store/ (state.js, open.js, conversations.js, messages.js), which only this
// module imports: the writable `data` and `emit` stay inside.
export { off, on, reset, selfId, state } from './store/state.js';
export * from './store/open.js';
export * from './store/conversations.js';
export * from './store/messages.js';

/** @typedef {import('./store/state.js').Conversation} Conversation */
/** @typedef {import('./store/state.js').History} History */
/** @typedef {import('./store/state.js').Thread} Thread */
/** @typedef {import('./store/state.js').State} State */
