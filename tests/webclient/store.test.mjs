// The web client's store and its RTM reducers, as a person would see them: what the
// sidebar, the message list and the thread panel would show after each change. The real
// modules, run by Node's test runner (tests/test_webclient.py); no page, so nothing is
// "seen" (dom.pageSeen) and the open conversation gets badges like any other.
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';

import { handleEvent } from '../../src/backchannel/webclient/js/events.js';
import * as store from '../../src/backchannel/webclient/js/store.js';

const { state } = store;
const ME = 'U0000100001';
const BOB = 'U0000100002';
const GENERAL = 'C0000100001';
const RANDOM = 'C0000100002';
const SECRET = 'G0000100003';
const DM = 'D0000100004';

/** A lean boot: us, Bob, #general (read to the end), #random with 2 unread, a private channel and a DM. */
function boot({ channels = [general(), random()], groups = [secret()], ims = [dm()] } = {}) {
  store.loadBoot({
    self: { id: ME, name: 'alice' },
    team: { id: 'T0000100001', name: 'Acme', domain: 'acme' },
    users: [
      { id: ME, name: 'alice', real_name: 'Alice Archer' },
      { id: BOB, name: 'bob', real_name: 'Bob Baker' },
    ],
    bots: [],
    channels,
    groups,
    ims,
    mpims: [],
  });
}

function general() {
  return { id: GENERAL, name: 'general', is_channel: true, is_member: true, is_general: true, num_members: 2,
    last_read: '1700000001.000100', latest: { ts: '1700000001.000100' }, unread_count: 0, mention_count: 0 };
}

function random() {
  return { id: RANDOM, name: 'random', is_channel: true, is_member: true, num_members: 2,
    last_read: '1700000001.000100', latest: { ts: '1700000003.000100' }, unread_count: 2, mention_count: 1 };
}

function secret() {
  return { id: SECRET, name: 'secret', is_group: true, is_private: true, is_member: true, num_members: 2,
    latest: null, unread_count: 0 };
}

function dm() {
  return { id: DM, is_im: true, user: BOB, latest: null, unread_count: 0 };
}

/** The history as the message list shows it: oldest first. */
function shown(channel) {
  return store.history(channel).messages.map((m) => `${m.ts} ${m.text}`);
}

/** A page of conversations.history: newest first, as the API sends it. */
function page(...messages) {
  return { messages: [...messages].reverse(), has_more: false };
}

function message(channel, ts, text, user = BOB, extra = {}) {
  return { type: 'message', channel, user, text, ts, ...extra };
}

/** Notices go out once the task is done (one per topic): wait for them. */
const noticed = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  store.reset();
  boot();
});

describe('the boot', () => {
  test('lists the conversations we are in, with their badges', () => {
    assert.deepEqual([...state.conversations.keys()].sort(), [GENERAL, RANDOM, DM, SECRET].sort());
    const random = state.conversations.get(RANDOM);
    assert.equal(random.unread, 2);
    assert.equal(random.mentions, 1);
    assert.equal(state.conversations.get(DM).kind, 'im');
    assert.equal(state.conversations.get(SECRET).kind, 'private');
  });

  test('sent again on a new socket, drops what we left and keeps the channels we only look at', () => {
    store.upsertConversation({ id: 'C0000100009', name: 'lurked', is_channel: true, is_member: false });
    boot({ channels: [general()], groups: [], ims: [dm()] });
    assert.equal(state.conversations.has(SECRET), false); // a private channel we left: gone
    assert.equal(state.conversations.get(RANDOM).isMember, false); // a public one: no longer ours
    assert.equal(state.conversations.get(RANDOM).unread, 0);
    assert.equal(state.conversations.has('C0000100009'), true);
  });
});

describe('messages in the open conversation', () => {
  beforeEach(() => {
    store.openConversation(GENERAL);
    store.addHistoryPage(GENERAL, page({ ts: '1700000001.000100', user: BOB, text: 'first' }));
  });

  test('a new message is added once, after the others', () => {
    // Our own post: applied from the API reply, then its RTM event comes back.
    store.addMessage(GENERAL, { ts: '1700000002.000100', user: ME, text: 'second' });
    handleEvent(message(GENERAL, '1700000002.000100', 'second', ME));
    handleEvent(message(GENERAL, '1700000003.000100', 'third'));
    assert.deepEqual(shown(GENERAL), ['1700000001.000100 first', '1700000002.000100 second', '1700000003.000100 third']);
  });

  test('a message that arrives late takes its place by time', () => {
    handleEvent(message(GENERAL, '1700000003.000100', 'third'));
    handleEvent(message(GENERAL, '1700000002.000100', 'second'));
    assert.deepEqual(shown(GENERAL), ['1700000001.000100 first', '1700000002.000100 second', '1700000003.000100 third']);
  });

  test('an edit replaces the message where it is shown', () => {
    handleEvent({ type: 'message', subtype: 'message_changed', channel: GENERAL,
      message: { ts: '1700000001.000100', user: BOB, text: 'first, edited', edited: { user: BOB, ts: '1700000009.000100' } } });
    assert.deepEqual(shown(GENERAL), ['1700000001.000100 first, edited']);
    assert.equal(store.findMessage(GENERAL, '1700000001.000100').edited.user, BOB);
  });

  test('a deleted message goes', () => {
    handleEvent({ type: 'message', subtype: 'message_deleted', channel: GENERAL, deleted_ts: '1700000001.000100' });
    assert.deepEqual(shown(GENERAL), []);
  });

  test('a reaction counts each person once, and goes when taken back', () => {
    const reaction = (type, user) => ({ type, user, reaction: 'tada', item: { type: 'message', channel: GENERAL, ts: '1700000001.000100' } });
    handleEvent(reaction('reaction_added', BOB));
    handleEvent(reaction('reaction_added', BOB));
    handleEvent(reaction('reaction_added', ME));
    assert.deepEqual(store.findMessage(GENERAL, '1700000001.000100').reactions, [{ name: 'tada', users: [BOB, ME], count: 2 }]);
    handleEvent(reaction('reaction_removed', BOB));
    handleEvent(reaction('reaction_removed', ME));
    assert.deepEqual(store.findMessage(GENERAL, '1700000001.000100').reactions, []);
  });

  test('the message list hears of a burst of messages once', async () => {
    let redraws = 0;
    store.on('history', () => (redraws += 1));
    handleEvent(message(GENERAL, '1700000002.000100', 'second'));
    handleEvent(message(GENERAL, '1700000003.000100', 'third'));
    await noticed();
    assert.equal(redraws, 1);
  });

  test('a conversation not loaded yet keeps no messages (they come with its first page)', () => {
    handleEvent(message(RANDOM, '1700000004.000100', 'elsewhere'));
    assert.deepEqual(shown(RANDOM), []);
    assert.equal(state.conversations.get(RANDOM).latestTs, '1700000004.000100');
  });
});

describe('threads', () => {
  const ROOT = '1700000001.000100';

  beforeEach(() => {
    store.openConversation(GENERAL);
    store.addHistoryPage(GENERAL, page({ ts: ROOT, user: BOB, text: 'root', reply_count: 1 }));
    store.setThread(GENERAL, ROOT, [{ ts: ROOT, user: BOB, text: 'root', reply_count: 1 },
      { ts: '1700000002.000100', thread_ts: ROOT, user: BOB, text: 'reply' }]);
    store.openThread(GENERAL, ROOT);
  });

  const replies = () => store.thread(GENERAL, ROOT).replies.map((m) => m.text);

  test('a reply shows in its thread only; one sent to the channel too shows in both', () => {
    handleEvent(message(GENERAL, '1700000003.000100', 'quiet reply', BOB, { thread_ts: ROOT }));
    handleEvent(message(GENERAL, '1700000004.000100', 'loud reply', BOB, { thread_ts: ROOT, subtype: 'thread_broadcast' }));
    assert.deepEqual(replies(), ['reply', 'quiet reply', 'loud reply']);
    assert.deepEqual(shown(GENERAL), [`${ROOT} root`, '1700000004.000100 loud reply']);
  });

  test("the root's reply count follows the thread", () => {
    handleEvent({ type: 'message', subtype: 'message_replied', channel: GENERAL,
      message: { ts: ROOT, user: BOB, text: 'root', reply_count: 2, reply_users: [BOB, ME], reply_users_count: 2 } });
    assert.equal(store.findMessage(GENERAL, ROOT).reply_count, 2);
    assert.equal(store.history(GENERAL).messages[0].reply_count, 2);
  });

  test('an edit of a root keeps its reply count', () => {
    handleEvent({ type: 'message', subtype: 'message_changed', channel: GENERAL, message: { ts: ROOT, user: BOB, text: 'root, edited' } });
    assert.equal(store.thread(GENERAL, ROOT).parent.text, 'root, edited');
    assert.equal(store.thread(GENERAL, ROOT).parent.reply_count, 1);
  });

  test('deleting the root closes its thread', () => {
    handleEvent({ type: 'message', subtype: 'message_deleted', channel: GENERAL, deleted_ts: ROOT });
    assert.equal(state.thread, null);
  });

  test('opening another conversation closes the thread and the edit', () => {
    store.startEditing(GENERAL, ROOT, 'root');
    store.openConversation(RANDOM);
    assert.equal(state.openId, RANDOM);
    assert.equal(state.thread, null);
    assert.equal(state.editing, null);
  });
});

describe('unread badges', () => {
  const badge = (id) => {
    const { unread, mentions } = state.conversations.get(id);
    return { unread, mentions };
  };

  test("someone else's message counts; a mention of us counts as one too", () => {
    handleEvent(message(GENERAL, '1700000002.000100', 'hello'));
    handleEvent(message(GENERAL, '1700000003.000100', `hey <@${ME}>`));
    assert.deepEqual(badge(GENERAL), { unread: 2, mentions: 1 });
  });

  test('our own messages and thread replies do not count', () => {
    handleEvent(message(GENERAL, '1700000002.000100', 'mine', ME));
    handleEvent(message(GENERAL, '1700000003.000100', 'in a thread', BOB, { thread_ts: '1700000001.000100' }));
    assert.deepEqual(badge(GENERAL), { unread: 0, mentions: 0 });
  });

  test('every message of a DM is for us', () => {
    handleEvent(message(DM, '1700000002.000100', 'psst'));
    assert.deepEqual(badge(DM), { unread: 1, mentions: 1 });
  });

  test('a message the boot already counted is not counted again', () => {
    handleEvent(message(RANDOM, '1700000003.000100', 'counted by the boot'));
    assert.deepEqual(badge(RANDOM), { unread: 2, mentions: 1 });
  });

  test('read to the end elsewhere clears the badge; read part way keeps it', () => {
    handleEvent({ type: 'channel_marked', channel: RANDOM, ts: '1700000002.000100' });
    assert.deepEqual(badge(RANDOM), { unread: 2, mentions: 1 });
    handleEvent({ type: 'channel_marked', channel: RANDOM, ts: '1700000003.000100' });
    assert.deepEqual(badge(RANDOM), { unread: 0, mentions: 0 });
    assert.equal(state.conversations.get(RANDOM).lastRead, '1700000003.000100');
  });
});

describe('membership', () => {
  test('a private channel we leave disappears; a public one stays, not ours', () => {
    handleEvent({ type: 'member_left_channel', channel: SECRET, user: ME });
    handleEvent({ type: 'member_left_channel', channel: RANDOM, user: ME });
    assert.equal(state.conversations.has(SECRET), false);
    assert.equal(state.conversations.get(RANDOM).isMember, false);
  });

  test('others joining and leaving are counted, our own joining once', () => {
    handleEvent({ type: 'member_joined_channel', channel: GENERAL, user: 'U0000100003' });
    handleEvent({ type: 'member_joined_channel', channel: GENERAL, user: ME }); // we were in already
    assert.equal(state.conversations.get(GENERAL).numMembers, 3);
    handleEvent({ type: 'member_left_channel', channel: GENERAL, user: BOB });
    assert.equal(state.conversations.get(GENERAL).numMembers, 2);
  });

  test('a membership the boot already counted changes nothing', () => {
    handleEvent({ type: 'member_joined_channel', channel: GENERAL, user: 'U0000100003' }, { held: true });
    assert.equal(state.conversations.get(GENERAL).numMembers, 2);
  });

  test('a channel our workspace is taken out of disappears', () => {
    handleEvent({ type: 'channel_shared', channel: GENERAL, connected_team_id: 'T0000200001' });
    assert.deepEqual(state.conversations.get(GENERAL).sharedTeams, ['T0000100001', 'T0000200001']);
    handleEvent({ type: 'channel_unshared', channel: GENERAL, previously_connected_team_id: 'T0000100001' });
    assert.equal(state.conversations.has(GENERAL), false);
  });

  test('archived, renamed', () => {
    handleEvent({ type: 'channel_archive', channel: RANDOM });
    handleEvent({ type: 'channel_rename', channel: { id: RANDOM, name: 'off-topic' } });
    const random = state.conversations.get(RANDOM);
    assert.equal(random.isArchived, true);
    assert.equal(random.name, 'off-topic');
  });
});

describe('people', () => {
  test('a profile change keeps their presence; presence changes alone', () => {
    handleEvent({ type: 'presence_change', user: BOB, presence: 'active' });
    handleEvent({ type: 'user_change', user: { id: BOB, name: 'bob', real_name: 'Robert Baker' } });
    assert.equal(state.users.get(BOB).real_name, 'Robert Baker');
    assert.equal(state.users.get(BOB).presence, 'active');
  });

  test('typing shows until their message comes', () => {
    handleEvent({ type: 'user_typing', channel: GENERAL, user: BOB });
    assert.deepEqual([...state.typing.get(GENERAL).keys()], [BOB]);
    handleEvent(message(GENERAL, '1700000002.000100', 'done typing'));
    assert.deepEqual([...state.typing.get(GENERAL).keys()], []);
  });
});

test('signing out forgets everything', () => {
  store.openConversation(GENERAL);
  store.setConnection('connected');
  store.reset();
  assert.equal(state.conversations.size, 0);
  assert.equal(state.users.size, 0);
  assert.equal(state.self, null);
  assert.equal(state.openId, '');
  assert.equal(state.connection, 'connecting');
});
