/**
 * Real keys from what Ink hands `useInput`. A terminal delivers several keys in one read when
 * they come fast (two Tabs, a typed reason and Enter, Esc followed by a key), and Ink passes
 * such a chunk as one string, or Esc plus a key as an Alt chord. This splits them back into
 * the keys that were pressed, in order.
 */

/** The parts of Ink's `Key` the dashboard reads. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export interface KeyPress {
  /** The printable text of the key; empty for named keys. */
  input: string;
  key: KeyInfo;
}

const NAMED: (keyof KeyInfo)[] = [
  "upArrow",
  "downArrow",
  "leftArrow",
  "rightArrow",
  "pageUp",
  "pageDown",
  "home",
  "end",
  "return",
  "escape",
  "tab",
  "backspace",
  "delete",
];

/** The keys in one `useInput` call. */
export function splitKeys(input: string, key: KeyInfo): KeyPress[] {
  const named = NAMED.some((name) => key[name]);
  // Esc pressed just before a key reaches Ink as Alt+key: the dashboard has no Alt keys.
  if (key.meta && !named && !key.ctrl && Array.from(input).length === 1) {
    return [{ input: "", key: { escape: true } }, plainKey(input)];
  }
  if (named || key.ctrl || Array.from(input).length <= 1) {
    if (!named && !key.ctrl && Array.from(input).length === 1) return [plainKey(input, key)];
    return [{ input, key }];
  }
  return Array.from(input).map((char) => plainKey(char));
}

/** One character as the key it is: Enter, Tab, Backspace, or a printable one. */
function plainKey(char: string, key: KeyInfo = {}): KeyPress {
  if (char === "\r" || char === "\n") return { input: "", key: { return: true } };
  if (char === "\t") return { input: "", key: { tab: true } };
  if (char === "\u007f" || char === "\b") return { input: "", key: { backspace: true } };
  if (char === "\u001b") return { input: "", key: { escape: true } };
  const shift = key.shift || (char.length === 1 && char >= "A" && char <= "Z");
  return { input: char, key: shift ? { shift: true } : {} };
}
