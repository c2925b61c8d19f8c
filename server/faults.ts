/**
 * Fault injection between client and agent, for testing recovery paths: delay or drop lines in
 * either direction, corrupt client lines, answer the Nth session/new with -32000 without asking
 * the agent, kill the agent right after a given request, and inject junk lines on its stdout.
 * Decisions only: the run applies them and marks every affected frame as injected.
 */
import type { FaultConfig } from "../lib/wire";

export const NO_FAULTS: FaultConfig = { enabled: false, delayOutMs: 0, delayInMs: 0, dropOutEvery: 0, dropInEvery: 0, corruptOutEvery: 0, forceAuthOnSessionNew: 0, killOnMethod: "", junkEveryMs: 0 };

export type OutDecision =
  | { action: "pass" }
  | { action: "drop"; note: string }
  | { action: "delay"; ms: number; note: string }
  | { action: "corrupt"; text: string; note: string }
  | { action: "fake-auth"; note: string };

export type InDecision = { action: "pass" } | { action: "drop"; note: string } | { action: "delay"; ms: number; note: string };

/** Break a line the way a buggy client would: cut it short, so it is no longer valid JSON. */
export function corrupt(text: string): string {
  return text.length > 2 ? text.slice(0, Math.ceil(text.length / 2)) : `${text}}`;
}

export class FaultInjector {
  private outCount = 0;
  private inCount = 0;
  private sessionNewCount = 0;

  constructor(private readonly config: () => FaultConfig) {}

  get active(): boolean {
    return this.config().enabled;
  }

  out(text: string, method: string | undefined): OutDecision {
    const c = this.config();
    if (!c.enabled) return { action: "pass" };
    this.outCount++;
    if (method === "session/new" && c.forceAuthOnSessionNew > 0 && ++this.sessionNewCount === c.forceAuthOnSessionNew) {
      return { action: "fake-auth", note: `fault injection: session/new #${this.sessionNewCount} answered -32000 by the relay, never sent to the agent` };
    }
    if (c.dropOutEvery > 0 && this.outCount % c.dropOutEvery === 0) return { action: "drop", note: `fault injection: dropped (client line #${this.outCount}), never written to the agent` };
    if (c.corruptOutEvery > 0 && this.outCount % c.corruptOutEvery === 0) return { action: "corrupt", text: corrupt(text), note: `fault injection: corrupted client line #${this.outCount} (cut in half)` };
    if (c.delayOutMs > 0) return { action: "delay", ms: c.delayOutMs, note: `fault injection: written to the agent ${c.delayOutMs} ms late` };
    return { action: "pass" };
  }

  in(): InDecision {
    const c = this.config();
    if (!c.enabled) return { action: "pass" };
    this.inCount++;
    if (c.dropInEvery > 0 && this.inCount % c.dropInEvery === 0) return { action: "drop", note: `fault injection: agent line #${this.inCount} dropped before the client (not paired)` };
    if (c.delayInMs > 0) return { action: "delay", ms: c.delayInMs, note: `fault injection: delivered ${c.delayInMs} ms late` };
    return { action: "pass" };
  }

  /** Kill the agent right after this request went out? */
  killAfter(method: string | undefined): boolean {
    const c = this.config();
    return c.enabled && c.killOnMethod !== "" && method === c.killOnMethod;
  }

  get junkEveryMs(): number {
    const c = this.config();
    return c.enabled ? c.junkEveryMs : 0;
  }
}
