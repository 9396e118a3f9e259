// Types only (JSDoc, checked by `tsc --checkJs`: docs/web-client.md, "Checks"); nothing
// imports this module at run time. Slack's objects as the client reads them: the fields it
// uses, not every field Slack sends.

/**
 * Deeply read-only: what the store hands out (its `state`, the records its functions
 * return). Only store.js writes, through its own mutable view of the same objects.
 * @template T
 * @typedef {T extends (...args: any[]) => any ? T
 *   : T extends ReadonlyMap<infer K, infer V> ? ReadonlyMap<K, Frozen<V>>
 *   : T extends ReadonlySet<infer E> ? ReadonlySet<Frozen<E>>
 *   : T extends readonly (infer E)[] ? readonly Frozen<E>[]
 *   : T extends object ? { readonly [P in keyof T]: Frozen<T[P]> }
 *   : T} Frozen
 */

/**
 * A person, as users.info, the boot and user_change send it.
 * @typedef {object} User
 * @property {string} id
 * @property {string} name         the handle
 * @property {string} [real_name]
 * @property {{display_name?: string, real_name?: string, image_36?: string, image_48?: string, image_72?: string}} [profile]
 * @property {string} [team_id]    their workspace; another one for a person of a shared channel
 * @property {boolean} [deleted]
 * @property {boolean} [is_bot]
 * @property {string|undefined} [presence]   'active' | 'away' (the boot, a search, presence_change)
 */

/** @typedef {{id: string, name: string}} Bot */
/** @typedef {{id: string, name: string, domain?: string}} Team */

/**
 * A reaction on a message.
 * @typedef {object} Reaction
 * @property {string} name
 * @property {readonly string[]} users
 * @property {number} count
 */

/**
 * Slack's message object, as the API and RTM send it. The client never changes one in
 * place: an edit or a reaction replaces it (views compare identity).
 * @typedef {object} Message
 * @property {string} ts
 * @property {string} [text]
 * @property {string} [user]
 * @property {string} [team]        the author's workspace
 * @property {string} [user_team]   the same, when it is not the channel's home
 * @property {string} [bot_id]
 * @property {string} [username]    a bot's own name for this message
 * @property {{emoji?: string, image_36?: string, image_48?: string, image_72?: string}} [icons]  a bot's own icon for it
 * @property {string} [subtype]
 * @property {string} [thread_ts]
 * @property {number|undefined} [reply_count]   undefined too: message_replied and edits copy what they have
 * @property {readonly string[]|undefined} [reply_users]
 * @property {number|undefined} [reply_users_count]
 * @property {string|undefined} [latest_reply]
 * @property {{user: string, ts: string}} [edited]
 * @property {readonly Reaction[]} [reactions]
 */

/**
 * Slack's conversation object (conversations.info, the boot, channel events, searches);
 * store.upsertConversation keeps what it says in a Conversation.
 * @typedef {object} SlackConversation
 * @property {string} id
 * @property {string} [name]
 * @property {boolean} [is_channel]
 * @property {boolean} [is_group]
 * @property {boolean} [is_im]
 * @property {boolean} [is_mpim]
 * @property {boolean} [is_private]
 * @property {boolean} [is_member]
 * @property {boolean} [is_archived]
 * @property {boolean} [is_general]
 * @property {boolean} [is_shared]
 * @property {string[]} [shared_team_ids]
 * @property {string} [user]            a DM's other person
 * @property {string[]} [members]       a group DM's
 * @property {number} [num_members]
 * @property {{value: string}} [topic]
 * @property {string} [last_read]
 * @property {{ts: string}|null} [latest]  null: no message yet
 * @property {number} [unread_count]
 * @property {number} [mention_count]
 */

/**
 * The lean boot's reply (client.boot: docs/edge-cache.md).
 * @typedef {object} Boot
 * @property {{id: string, name: string}} self
 * @property {Team} team
 * @property {User[]} users
 * @property {Bot[]} bots
 * @property {SlackConversation[]} channels
 * @property {SlackConversation[]} groups
 * @property {SlackConversation[]} ims
 * @property {SlackConversation[]} mpims
 */

/**
 * A page of conversations.history.
 * @typedef {{messages: Message[], has_more?: boolean, response_metadata?: {next_cursor?: string}}} HistoryPage
 */

/**
 * The RTM events events.js handles, by the fields it reads (docs/realtime.md).
 * @typedef {Message & {channel: string, hidden?: boolean, topic?: string, message?: Message, deleted_ts?: string}} MessageEvent
 * @typedef {{user: string, reaction: string, item?: {type: string, channel: string, ts: string}}} ReactionEvent
 * @typedef {{channel: SlackConversation}} ConversationEvent   channel_created, group_joined, im_created, mpim_joined
 * @typedef {{channel: string}} ChannelIdEvent                 archive, unarchive
 * @typedef {{channel: string, user: string}} MembershipEvent  member_joined_channel, member_left_channel
 * @typedef {{channel: string, ts: string}} MarkedEvent        channel_marked and its kin
 * @typedef {{channel: string, connected_team_id?: string, previously_connected_team_id?: string}} SharedEvent
 * @typedef {{user: User}} UserEvent                          user_change, team_join
 * @typedef {{channel: string, user: string}} TypingEvent
 * @typedef {{user?: string, users?: string[], presence: string}} PresenceEvent
 * @typedef {{users?: User[], bots?: Bot[], channels?: SlackConversation[]}} Objects  an `objects` frame, a lookup's reply
 */

export {};
