/**
 * Secret redaction for everything the relay records or shows: agent stdio lines, stderr, pty
 * output, exports. Secrets travel in more than one spelling (inside JSON strings, inside URLs), so
 * each one is matched in all of them. Isomorphic: no DOM, no node:*, so the browser can mask too.
 */

export const REDACTED = "‹redacted›";

/** Shorter values would match ordinary words and numbers and turn logs into noise. */
const MIN_SECRET_LENGTH = 4;

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

  constructor(secrets: Iterable<string>) {
    this.secretSet = new Set([...secrets].filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH));
    const forms = new Set<string>();
    for (const secret of this.secretSet) for (const form of spellings(secret)) forms.add(form);
    this.forms = [...forms].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.pattern = this.forms.length > 0 ? new RegExp(this.forms.map(escapeRegExp).join("|"), "g") : undefined;
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
    return text.replace(this.pattern, REDACTED);
  }

  /** All matches in scan order, for StreamRedactor, which must decide where it may cut. */
  matches(text: string): { index: number; length: number }[] {
    if (!this.pattern) return [];
    return [...text.matchAll(this.pattern)].map((m) => ({ index: m.index, length: m[0].length }));
  }
}

/**
 * Redacts a stream whose chunks are cut anywhere (pty output), where a secret may arrive in two
 * halves. It holds back the tail that could still be the start of a secret, and only emits text
 * whose fate is settled.
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
    // Hold back only a tail that could still grow into a secret: the earliest position whose
    // remainder is a proper prefix of some secret form. Everything before it is final, so an
    // interactive prompt without a newline ("enter the code: ") shows at once.
    const cut = this.holdFrom(text);
    let out = "";
    let last = 0;
    for (const m of this.redactor.matches(text)) {
      if (m.index >= cut) break;
      out += text.slice(last, m.index) + REDACTED;
      last = m.index + m.length;
    }
    const end = Math.max(cut, last);
    out += text.slice(last, end);
    this.pending = text.slice(end);
    return out;
  }

  private holdFrom(text: string): number {
    for (let i = Math.max(0, text.length - this.hold); i < text.length; i++) {
      const tail = text.slice(i);
      for (const form of this.redactor.forms) if (form.length > tail.length && form.startsWith(tail)) return i;
    }
    return text.length;
  }

  /** The stream ended: whatever was held back can no longer grow into a secret. */
  flush(): string {
    const out = this.redactor.redact(this.pending);
    this.pending = "";
    return out;
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
