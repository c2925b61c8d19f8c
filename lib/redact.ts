/**
 * Secret redaction for everything the relay records or shows: agent stdio lines, stderr, pty
 * output, exports. Secrets travel in more than one spelling (inside JSON strings, inside URLs), so
 * each one is matched in all of them. The common spellings are plain literals (one regex, the fast
 * path); a line that holds `\uXXXX`/`\/` escapes, percent-escapes or terminal control characters
 * is also decoded into a view with a map back to its source, the secrets are found in that view,
 * and the source span of each is replaced, so an escaped or control-split secret is caught too.
 * Isomorphic: no DOM, no node:*, so the browser can mask too.
 */

export const REDACTED = "‹redacted›";

/** Shorter values would match ordinary words and numbers and turn logs into noise. */
const MIN_SECRET_LENGTH = 4;

/**
 * From this length on, redact() first asks includes() per spelling whether the regex pass is needed.
 * 1 KB, not 4: with the demo profiles' seven spellings the alternation regex costs 1.1 µs on a 2 KB
 * line and the seven includes() 0.5 µs; they break even near 1 KB (session 17, micro-benchmark).
 */
const LONG_TEXT = 1024;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every spelling a secret can take in recorded text: plain, inside a JSON string, URL-encoded. */
function spellings(secret: string): string[] {
  const forms = new Set<string>([secret]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  try {
    forms.add(encodeURIComponent(secret));
  } catch {
    // A lone surrogate cannot be URL-encoded, so that spelling cannot occur either.
  }
  return [...forms];
}

export class Redactor {
  private readonly secretSet: Set<string>;
  /** Longest first: the regex alternation then prefers the longer of two overlapping secrets. */
  readonly forms: readonly string[];
  private readonly pattern: RegExp | undefined;
  /** Some secret holds a space, so `+` (a form-encoded space) must be decoded too. */
  private readonly hasSpace: boolean;

  constructor(secrets: Iterable<string>) {
    this.secretSet = new Set([...secrets].filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH));
    const forms = new Set<string>();
    for (const secret of this.secretSet) for (const form of spellings(secret)) forms.add(form);
    this.forms = [...forms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.pattern = this.forms.length > 0 ? new RegExp(this.forms.map(escapeRegExp).join("|"), "g") : undefined;
    this.hasSpace = [...this.secretSet].some((s) => s.includes(" "));
  }

  /** Number of distinct secrets being redacted (short ones are not counted: they are ignored). */
  get size(): number {
    return this.secretSet.size;
  }

  /** Length of the longest spelling; a stream must hold back one less than this. */
  get longest(): number {
    return this.forms[0]?.length ?? 0;
  }

  redact(text: string): string {
    if (!this.pattern) return text;
    const plain = this.mayHoldAForm(text) ? text.replace(this.pattern, REDACTED) : text;
    if (!needsDecoding(plain, this.hasSpace)) return plain;
    const view = controlView(decodedView(plain, this.hasSpace));
    return replaceSpans(plain, view, this.matchesIn(view.text, view.text.length));
  }

  /**
   * Could the text hold a literal spelling? The alternation regex tries every spelling at every
   * position (about 0.4 GB/s here, 150 µs for a 64 KB line), while includes() skips through a long
   * text per spelling far faster (14 µs for the same line and 7 spellings). Below LONG_TEXT the
   * regex alone is cheaper than the per-call setup of several searches. Only a "no" skips the
   * regex, and a "no" means no spelling occurs, so the result is the same either way.
   */
  private mayHoldAForm(text: string): boolean {
    if (text.length < LONG_TEXT) return true;
    for (const form of this.forms) if (text.includes(form)) return true;
    return false;
  }

  /** All matches in scan order, for StreamRedactor, which must decide where it may cut. */
  matches(text: string): { index: number; length: number }[] {
    return this.matchesIn(text, text.length);
  }

  /** Matches that start before `before`, in scan order. */
  matchesIn(text: string, before: number): { index: number; length: number }[] {
    if (!this.pattern) return [];
    const out: { index: number; length: number }[] = [];
    this.pattern.lastIndex = 0;
    for (const m of text.matchAll(this.pattern)) {
      if (m.index >= before) break;
      out.push({ index: m.index, length: m[0].length });
    }
    return out;
  }
}

/**
 * Is the text worth decoding before matching? Only for JSON escapes that JSON.stringify never
 * writes (`\u0041`, `\/`), percent-escapes, `+` when a secret holds a space, and the control
 * characters that start or hide terminal sequences (ESC, BEL, NUL). Only indexOf scans: this runs
 * for every line the relay records (a character-class regex costs twice the redaction itself),
 * and an ordinary `\n` or `\"` must not send a line down the slow path. Other C0 controls in a
 * one-shot line are matched only when one of these is present; the pty stream always checks all.
 */
function needsDecoding(text: string, plusIsSpace: boolean): boolean {
  if (text.includes("\x1b") || text.includes("\x07") || text.includes("\x00") || (plusIsSpace && text.includes("+"))) return true;
  for (let i = text.indexOf("\\"); i >= 0; i = text.indexOf("\\", i + 2)) {
    const next = text.charCodeAt(i + 1);
    if (next === 117 || next === 47) return true;
  }
  for (let i = text.indexOf("%"); i >= 0; i = text.indexOf("%", i + 1)) {
    if (isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) return true;
  }
  return false;
}

/**
 * A decoded form of some source text: `text[k]` came from `source.slice(start[k], end[k])`.
 * Source characters no view character came from (escape sequences) are kept when a span is
 * replaced, so colours and cursor state survive around a redacted secret.
 */
export interface TextView {
  text: string;
  start: Int32Array;
  end: Int32Array;
  /** Where an unfinished escape sequence begins at the end of the source (streams hold it back). */
  incompleteFrom: number;
}

const JSON_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** The byte a `%XX` at `i` stands for, or -1. */
function percentByte(text: string, i: number): number {
  if (text.charCodeAt(i) !== 37 || i + 2 >= text.length || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) return -1;
  return Number.parseInt(text.slice(i + 1, i + 3), 16);
}

/** Length of the UTF-8 sequence a lead byte opens (0: not a lead byte). */
function utf8Length(byte: number): number {
  if (byte < 0x80) return 1;
  if (byte >= 0xc2 && byte < 0xe0) return 2;
  if (byte >= 0xe0 && byte < 0xf0) return 3;
  if (byte >= 0xf0 && byte < 0xf5) return 4;
  return 0;
}

/**
 * Decode JSON string escapes (`\n`, `\/`, `\uXXXX`, surrogate halves one by one) and percent-escapes
 * (UTF-8, either hex case; `+` as a space when asked) everywhere in the text, with the source span
 * of every decoded UTF-16 unit. Applied to the whole line rather than per JSON string literal: a
 * replaced span then covers whole escapes and stays inside its literal, so JSON stays valid.
 */
export function decodedView(source: string, plusIsSpace = false): TextView {
  const start = new Int32Array(source.length);
  const end = new Int32Array(source.length);
  let text = "";
  let n = 0;
  const unit = (value: string, from: number, to: number): void => {
    for (let k = 0; k < value.length; k++) {
      start[n] = from;
      end[n] = to;
      n++;
    }
    text += value;
  };
  let i = 0;
  while (i < source.length) {
    const code = source.charCodeAt(i);
    if (code === 92 && i + 1 < source.length) {
      const next = source[i + 1];
      if (next === "u" && i + 5 < source.length && [2, 3, 4, 5].every((k) => isHex(source.charCodeAt(i + k)))) {
        unit(String.fromCharCode(Number.parseInt(source.slice(i + 2, i + 6), 16)), i, i + 6);
        i += 6;
        continue;
      }
      const simple = JSON_ESCAPES[next];
      if (simple !== undefined) {
        unit(simple, i, i + 2);
        i += 2;
        continue;
      }
    } else if (code === 37) {
      const lead = percentByte(source, i);
      const length = lead < 0 ? 0 : utf8Length(lead);
      if (length > 0) {
        let point = length === 1 ? lead : lead & (0xff >> (length + 1));
        let ok = true;
        for (let k = 1; k < length && ok; k++) {
          const b = percentByte(source, i + 3 * k);
          ok = b >= 0x80 && b < 0xc0;
          point = (point << 6) | (b & 0x3f);
        }
        if (ok && point <= 0x10ffff && !(point >= 0xd800 && point < 0xe000)) {
          unit(String.fromCodePoint(point), i, i + 3 * length);
          i += 3 * length;
          continue;
        }
      }
    } else if (code === 43 && plusIsSpace) {
      unit(" ", i, i + 1);
      i += 1;
      continue;
    }
    unit(source[i], i, i + 1);
    i += 1;
  }
  return { text, start: start.subarray(0, n), end: end.subarray(0, n), incompleteFrom: source.length };
}

/** Longest escape sequence held back while it is unfinished; a longer one is let through as is. */
const MAX_SEQUENCE = 4096;

/**
 * The text a terminal would print, without escape sequences (CSI, OSC, DCS/SOS/PM/APC, two- and
 * three-byte ESC sequences) and invisible C0 controls; `\t`, `\n` and `\r` stay (they move the
 * cursor visibly). The map goes through `inner` back to the original source.
 */
export function controlView(inner: TextView): TextView {
  const src = inner.text;
  const start = new Int32Array(src.length);
  const end = new Int32Array(src.length);
  let n = 0;
  let text = "";
  let runFrom = 0;
  const flush = (to: number): void => {
    for (let k = runFrom; k < to; k++) {
      start[n] = inner.start[k];
      end[n] = inner.end[k];
      n++;
    }
    text += src.slice(runFrom, to);
  };
  let incomplete = -1;
  let i = 0;
  while (i < src.length) {
    const code = src.charCodeAt(i);
    const invisible = code < 0x20 ? code !== 9 && code !== 10 && code !== 13 : code === 0x7f;
    if (!invisible) {
      i++;
      continue;
    }
    flush(i);
    const skip = code === 0x1b ? sequenceEnd(src, i) : i + 1;
    if (skip < 0) {
      incomplete = i;
      runFrom = src.length;
      break;
    }
    i = skip;
    runFrom = i;
  }
  if (incomplete < 0) flush(src.length);
  const incompleteFrom = incomplete < 0 ? inner.incompleteFrom : inner.start[incomplete];
  return { text, start: start.subarray(0, n), end: end.subarray(0, n), incompleteFrom };
}

/** End of the escape sequence that starts at `i` (an ESC), or -1 if the text ends inside it. */
function sequenceEnd(text: string, i: number): number {
  const unfinished = text.length - i > MAX_SEQUENCE ? text.length : -1;
  if (i + 1 >= text.length) return unfinished;
  const kind = text[i + 1];
  if (kind === "[") {
    // CSI: parameter and intermediate bytes, then one final byte in @..~.
    for (let k = i + 2; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c >= 0x40 && c <= 0x7e) return k + 1;
      if (c < 0x20 || c > 0x3f) return k;
    }
    return unfinished;
  }
  if (kind === "]" || kind === "P" || kind === "X" || kind === "^" || kind === "_") {
    // OSC, DCS, SOS, PM, APC: a string ended by BEL (OSC) or ST (ESC \).
    for (let k = i + 2; k < text.length; k++) {
      const c = text.charCodeAt(k);
      if (c === 0x07) return k + 1;
      if (c === 0x1b) return k + 1 < text.length ? (text[k + 1] === "\\" ? k + 2 : k) : unfinished;
    }
    return unfinished;
  }
  // nF (ESC, intermediates 0x20-0x2f, a final byte) and Fp/Fe/Fs two-byte sequences.
  let k = i + 1;
  while (k < text.length && text.charCodeAt(k) >= 0x20 && text.charCodeAt(k) <= 0x2f) k++;
  if (k >= text.length) return unfinished;
  return k + 1;
}

/** The plain view of a text (no decoding), for controlView. */
export function identityView(source: string): TextView {
  const start = new Int32Array(source.length);
  const end = new Int32Array(source.length);
  for (let k = 0; k < source.length; k++) {
    start[k] = k;
    end[k] = k + 1;
  }
  return { text: source, start, end, incompleteFrom: source.length };
}

/**
 * Replace the source span of every match in a view by REDACTED, keeping source characters that
 * no view character came from (escape sequences inside the span). Matches are in scan order.
 */
export function replaceSpans(source: string, view: TextView, matches: readonly { index: number; length: number }[]): string {
  if (matches.length === 0) return source;
  let covered: Uint8Array | undefined;
  let out = "";
  let last = 0;
  for (const m of matches) {
    const from = Math.max(view.start[m.index], last);
    const to = view.end[m.index + m.length - 1];
    if (to <= last) continue;
    out += source.slice(last, from) + REDACTED;
    if (!covered) {
      covered = new Uint8Array(source.length);
      for (let k = 0; k < view.text.length; k++) covered.fill(1, view.start[k], view.end[k]);
    }
    for (let k = from; k < to; k++) if (!covered[k]) out += source[k];
    last = to;
  }
  return out + source.slice(last);
}

/**
 * Redacts a stream whose chunks are cut anywhere (pty output), where a secret may arrive in two
 * halves. It holds back the tail that could still be the start of a secret, and only emits text
 * whose fate is settled. Matching ignores terminal escape sequences and invisible controls (a
 * program can colour every character of a secret differently and the terminal still shows it
 * whole); the secret's characters are replaced, the sequences between them are kept.
 */
export class StreamRedactor {
  private readonly redactor: Redactor;
  private readonly hold: number;
  private pending = "";

  constructor(secrets: Iterable<string> | Redactor) {
    this.redactor = secrets instanceof Redactor ? secrets : new Redactor(secrets);
    this.hold = Math.max(0, this.redactor.longest - 1);
  }

  push(chunk: string): string {
    const text = this.pending + chunk;
    const view = controlView(identityView(text));
    // Hold back only a tail that could still grow into a secret: the earliest position whose
    // remainder is a proper prefix of some secret form (or an unfinished escape sequence).
    // Everything before it is final, so an interactive prompt without a newline shows at once.
    const held = this.holdFrom(view.text);
    const cut = Math.min(held < view.text.length ? view.start[held] : text.length, view.incompleteFrom);
    const matches = this.redactor.matchesIn(view.text, held);
    const last = matches.length ? view.end[matches[matches.length - 1].index + matches[matches.length - 1].length - 1] : 0;
    const end = Math.max(cut, last);
    const out = replaceSpans(text.slice(0, end), view, matches.filter((m) => view.start[m.index] < end));
    this.pending = text.slice(end);
    return out;
  }

  private holdFrom(text: string): number {
    if (!this.hold) return text.length;
    for (let i = Math.max(0, text.length - this.hold); i < text.length; i++) {
      const tail = text.slice(i);
      for (const form of this.redactor.forms) if (form.length > tail.length && form.startsWith(tail)) return i;
    }
    return text.length;
  }

  /** The stream ended: whatever was held back can no longer grow into a secret. */
  flush(): string {
    const text = this.pending;
    this.pending = "";
    const view = controlView(identityView(text));
    return replaceSpans(text, view, this.redactor.matches(view.text));
  }
}

/**
 * A recognizable but useless form of a secret for display (`sk-…9f3a`). It reveals at most 7
 * characters and at most a third of the secret, so a mask never helps to guess the value.
 */
export function mask(secret: string): string {
  const chars = [...secret];
  const length = chars.length;
  if (length < 12) return length >= 6 ? `…${chars.slice(-2).join("")}` : "••••";
  const budget = Math.min(7, Math.floor(length / 3));
  const suffix = chars.slice(-Math.min(4, budget)).join("");
  const dash = chars.slice(0, 3).indexOf("-");
  const prefixChars = dash > 0 ? chars.slice(0, dash + 1) : chars.slice(0, 3);
  // A truncated prefix is not recognizable, so it is shown whole or not at all.
  const prefix = prefixChars.length + [...suffix].length <= budget ? prefixChars.join("") : "";
  return `${prefix}…${suffix}`;
}
