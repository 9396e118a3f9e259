// A small emoji map: Slack names to Unicode. Unknown names are shown as ":name:".

/** @type {Record<string, string>} */
export const EMOJI = {
  thumbsup: '👍', '+1': '👍', thumbsdown: '👎', '-1': '👎', heart: '❤️', tada: '🎉', eyes: '👀',
  rocket: '🚀', smile: '😄', joy: '😂', white_check_mark: '✅', slightly_smiling_face: '🙂',
  grinning: '😀', wink: '😉', thinking_face: '🤔', pray: '🙏', clap: '👏', fire: '🔥',
  100: '💯', wave: '👋', ok_hand: '👌', sob: '😭', cry: '😢', sunglasses: '😎', star: '⭐',
  warning: '⚠️', x: '❌', heavy_check_mark: '✔️', coffee: '☕', bug: '🐛', sparkles: '✨',
  raised_hands: '🙌', muscle: '💪', party_popper: '🎉', laughing: '😆', heart_eyes: '😍',
};

/** The picker's choices, in order. */
export const PICKER = ['thumbsup', 'heart', 'tada', 'eyes', 'rocket', 'smile', 'joy', 'white_check_mark'];

/** The glyph of a reaction name (skin tones dropped), or ":name:" when we have none. @param {string} name */
export function emojiFor(name) {
  return knownEmoji(name.split('::')[0]) || `:${name}:`;
}

/** The glyph of a name we know, else '' (own keys only: "constructor" is no emoji). @param {string} name */
export function knownEmoji(name) {
  return Object.hasOwn(EMOJI, name) ? EMOJI[name] : '';
}
