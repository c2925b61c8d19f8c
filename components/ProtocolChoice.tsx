/**
 * The ACP version `initialize` asks for, next to the initialize button, and the version the agent
 * answered with. The answer decides: everything after (the authenticate button, Guided, the
 * composer's templates, the schema check) speaks the negotiated version, so it is shown where the
 * user asks, not buried in the frame detail. Props only.
 */
import type { ProtocolVersion } from "../lib/version";

export interface ProtocolChoiceProps {
  chosen: ProtocolVersion;
  onChange: (version: ProtocolVersion) => void;
  /** What the last initialize asked for, and what the agent answered; both absent before one. */
  requested?: number;
  negotiated?: number;
  /** The version later requests use (the answer when the playground speaks it). */
  speaking: ProtocolVersion;
}

export function ProtocolChoice(p: ProtocolChoiceProps) {
  const state = p.requested === undefined ? "none" : p.negotiated === undefined ? "pending" : p.negotiated === p.speaking ? "negotiated" : "unsupported";
  const text =
    state === "none"
      ? "not negotiated"
      : state === "pending"
        ? `asked v${p.requested}…`
        : state === "negotiated"
          ? `negotiated v${p.negotiated}${p.negotiated !== p.requested ? ` (asked v${p.requested})` : ""}`
          : `agent answered v${p.negotiated}: unsupported`;
  const title =
    state === "unsupported"
      ? `The agent answered protocolVersion ${p.negotiated}, which this client does not speak; the spec says to disconnect. Requests keep using v${p.speaking}.`
      : "initialize asks for this version; the agent answers with the version it speaks, and every later request uses the answer.";
  return (
    <span className="group protocol-choice">
      <select
        data-testid="protocol-select"
        aria-label="ACP protocol version for initialize"
        value={p.chosen}
        onChange={(e) => p.onChange(e.target.value === "2" ? 2 : 1)}
        title="The protocolVersion initialize asks for (v2 is the SDK's draft)"
      >
        <option value={1}>ACP v1</option>
        <option value={2}>ACP v2 (draft)</option>
      </select>
      <span className={`badge ${state === "negotiated" ? "badge-ok" : state === "unsupported" ? "badge-error" : ""}`} data-testid="protocol-negotiated" data-state={state} data-version={p.negotiated ?? ""} title={title}>
        {text}
      </span>
    </span>
  );
}
