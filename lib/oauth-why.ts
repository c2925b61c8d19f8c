/**
 * Where the UI offers "Why?" for OAuth failures that need no error frame: a refresh that failed
 * (Kimi 2.1.0 then answers the prompt end_turn with an empty reply, the client never told), a
 * model call refused, a terminal login refused. It runs lib/diagnosis.ts diagnoseOAuth on the
 * viewed run's prompts and diagnoseLogin on its hops, and says which rows carry the entry point.
 */
import { diagnoseLogin, diagnoseOAuth, type OAuthDiagnoseInput, type OAuthFinding } from "./diagnosis";
import type { Frame } from "./wire";

/** The findings that explain a failure (a refresh that succeeded explains nothing on its own). */
const FAILURE_RULES = new Set(["oauth-refresh-failed-hidden", "oauth-refresh-failed", "oauth-model-rejected", "oauth-no-model-call"]);
const HIDDEN_RULES = new Set(["oauth-refresh-failed-hidden", "oauth-no-model-call"]);
/** Only the newest prompts are read: each one scans its window of the log. */
const MAX_PROMPTS = 50;

export interface OAuthWhy {
  /** `prompt:<seq>` or `login`. */
  key: string;
  /** The session/prompt request explained (absent for a login). */
  promptSeq?: number;
  /** The client was not told: no error frame reports the failure. */
  hidden: boolean;
  /** One line for the notice. */
  headline: string;
  findings: OAuthFinding[];
}

export interface OAuthWhyIndex {
  /** Newest last. */
  items: OAuthWhy[];
  /** Row seq → the key of the item whose "Why?" that row offers (the prompt's answer, the failed hop). */
  rows: Map<number, string>;
}

function failedHop(f: Frame | undefined): boolean {
  return f?.kind === "http" && (f.http?.status === undefined || f.http.status >= 400);
}

/** Every OAuth failure of the frames that has a "Why?", and the rows that offer it. */
export function oauthWhyIndex(frames: readonly Frame[], agent: OAuthDiagnoseInput["agent"], profile: OAuthDiagnoseInput["profile"]): OAuthWhyIndex {
  const out: OAuthWhyIndex = { items: [], rows: new Map() };
  // No out-of-band lane, nothing to explain: the common case costs one scan.
  if (!frames.some((f) => f.kind === "http" || f.kind === "home")) return out;
  const bySeq = new Map(frames.map((f) => [f.seq, f] as const));
  const prompts = frames.filter((f) => f.kind === "request" && f.dir === "out" && f.method === "session/prompt").slice(-MAX_PROMPTS);
  for (const p of prompts) {
    const findings = diagnoseOAuth({ frames, agent, profile, prompt: { runId: p.runId, seq: p.seq } });
    const failures = findings.filter((x) => FAILURE_RULES.has(x.rule));
    if (failures.length === 0) continue;
    const key = `prompt:${p.seq}`;
    const hidden = failures.some((x) => HIDDEN_RULES.has(x.rule));
    const refresh = failures.some((x) => x.rule.startsWith("oauth-refresh-failed") || x.rule === "oauth-no-model-call");
    out.items.push({
      key,
      promptSeq: p.seq,
      hidden,
      headline: refresh
        ? hidden
          ? "A token refresh failed and the agent did not tell the client"
          : "A token refresh failed; the agent answered the prompt with an error"
        : "The model API refused the access token",
      findings: findings.filter((x) => x.rule !== "oauth-refresh-ok"),
    });
    const answer = frames.find((f) => f.runId === p.runId && f.pairSeq === p.seq && (f.kind === "response" || f.kind === "error"));
    if (answer) out.rows.set(answer.seq, key);
    for (const seq of failures.flatMap((x) => x.frameSeqs)) if (failedHop(bySeq.get(seq))) out.rows.set(seq, key);
  }
  const login = diagnoseLogin(frames);
  if (login) {
    out.items.push({ key: "login", hidden: false, headline: "The terminal login failed", findings: [login] });
    for (const seq of login.frameSeqs) if (!out.rows.has(seq)) out.rows.set(seq, "login");
  }
  return out;
}
