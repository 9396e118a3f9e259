// Bolt for JS's getting-started app, unchanged but for its base URL (SLACK_API_URL): what
// a developer porting a Slack app runs (docs/apps.md). Over Socket Mode with
// SLACK_APP_TOKEN, else on Bolt's own HTTP receiver at PORT (the Events API).
// tests/apps (the bolt-js variants) run it with an install's tokens in the environment.
import { App } from '@slack/bolt';

const socketMode = Boolean(process.env.SLACK_APP_TOKEN);
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  socketMode,
  appToken: process.env.SLACK_APP_TOKEN,
  // The one change from Slack's getting-started app: the Web API's base URL. Bolt hands
  // these options to its own WebClient and to the Socket Mode client's, which calls
  // apps.connections.open.
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});

app.message('hello', async ({ message, say }) => {
  await say({ text: `Hey there <@${message.user}>!`, thread_ts: message.ts });
});

app.event('app_mention', async ({ event, say }) => {
  await say({ text: `You mentioned me, <@${event.user}>`, thread_ts: event.ts });
});

app.event('reaction_added', async ({ event, client }) => {
  const { item } = event;
  await client.chat.postMessage({
    channel: item.channel,
    thread_ts: item.ts,
    text: `Thanks for the :${event.reaction}:`,
  });
});

await (socketMode ? app.start() : app.start(Number(process.env.PORT)));
app.logger.info('Bolt app is running');
