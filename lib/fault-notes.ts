/**
 * The notes fault injection writes on frames it touched, shared by the relay (server/run.ts) that
 * writes them and the views that must tell a relay-made line from the agent's: the frame detail's
 * direction ("relay", not "agent → client") and the diagnosis rule that names the injection.
 */
import type { FaultConfig, Frame } from "./wire";

/** On the -32000 the relay answers in the agent's place (forceAuthOnSessionNew). */
export const RELAY_MADE_AUTH_NOTE = "fault injection: this -32000 came from the relay, not the agent";
/** On a junk line the relay writes as if the agent printed it (junkEveryMs). */
export const RELAY_MADE_JUNK_NOTE = "fault injection: junk line on stdout";

/** The relay made this line itself: the agent never wrote it. (A delayed or dropped line is still the agent's.) */
export function relayMade(frame: Pick<Frame, "injected">): boolean {
  return frame.injected === RELAY_MADE_AUTH_NOTE || frame.injected === RELAY_MADE_JUNK_NOTE;
}

/** Who a frame's line came from, for the detail header and row titles. */
export function directionLabel(frame: Pick<Frame, "dir" | "injected">): string {
  if (relayMade(frame)) return "relay → client (fault injection)";
  return frame.dir === "out" ? "client → agent" : frame.dir === "in" ? "agent → client" : "relay";
}

/** What the relay does to lines right now, one phrase per setting; empty when injection is off or does nothing. */
export function activeFaults(c: FaultConfig | undefined): string[] {
  if (!c?.enabled) return [];
  const out: string[] = [];
  if (c.delayOutMs > 0) out.push(`client lines ${c.delayOutMs} ms late`);
  if (c.delayInMs > 0) out.push(`agent lines ${c.delayInMs} ms late`);
  if (c.dropOutEvery > 0) out.push(`drop every ${c.dropOutEvery}. client line`);
  if (c.dropInEvery > 0) out.push(`drop every ${c.dropInEvery}. agent line`);
  if (c.corruptOutEvery > 0) out.push(`corrupt every ${c.corruptOutEvery}. client line`);
  if (c.forceAuthOnSessionNew > 0) out.push(`session/new #${c.forceAuthOnSessionNew} answered -32000 by the relay`);
  if (c.killOnMethod) out.push(`kill after ${c.killOnMethod}`);
  if (c.junkEveryMs > 0) out.push(`junk line every ${c.junkEveryMs} ms`);
  return out;
}
