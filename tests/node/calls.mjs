// Slack's Node SDK against a live Backchannel (tests/webapp/test_node_sdk.py runs it).
// Usage: node calls.mjs <base url of /api/>, with the token in BACKCHANNEL_TOKEN.
// Prints, as one JSON object, how each call settled: its reply, or its error's code and
// Slack error string. A call that never settles (the SDK retrying) never prints.
import { WebClient } from '@slack/web-api';

const [apiUrl] = process.argv.slice(2);
const client = new WebClient(process.env.BACKCHANNEL_TOKEN, { slackApiUrl: apiUrl });
const anonymous = new WebClient(undefined, { slackApiUrl: apiUrl });

async function settle(call) {
  try {
    const reply = await call();
    return { ok: true, reply };
  } catch (error) {
    return { ok: false, code: error.code, error: error.data?.error ?? error.message };
  }
}

const settled = {
  known: await settle(() => client.auth.test()),
  unknown: await settle(() => client.apiCall('channels.history', { channel: 'C0000000000' })),
  unknownWithoutToken: await settle(() => anonymous.apiCall('no.such.method')),
  knownWithoutToken: await settle(() => anonymous.auth.test()),
};
console.log(JSON.stringify(settled));
