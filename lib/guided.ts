/**
 * Guided mode: from the timeline, the one next step a user should take and what it will send,
 * so a newcomer can walk the auth lifecycle a click at a time and read why each step exists.
 */
import type { AuthStep } from "./auth-timeline";
import type { AuthMethodView } from "./selectors";

export type GuidedAction =
  | { kind: "start" }
  | { kind: "initialize" }
  | { kind: "session_new" }
  | { kind: "authenticate"; methodId: string }
  | { kind: "login"; methodId: string; convention: "spec" | "legacy" }
  | { kind: "done" };

export interface GuidedStep {
  action: GuidedAction;
  label: string;
  explain: string;
}

export function nextGuidedStep(steps: AuthStep[], methods: AuthMethodView[], running: boolean): GuidedStep {
  const state = (id: AuthStep["id"]) => steps.find((s) => s.id === id)?.state ?? "pending";
  if (!running || state("spawn") !== "ok") {
    return { action: { kind: "start" }, label: "Start the agent", explain: "Spawns the agent with the active profile's fresh home. Nothing is sent yet." };
  }
  if (state("initialize") === "pending") {
    return {
      action: { kind: "initialize" },
      label: "Send initialize",
      explain: "Sends protocolVersion 1 and the client capabilities you ticked. The answer lists the agent's authMethods; agents may hide terminal methods unless auth.terminal is advertised.",
    };
  }
  if (state("initialize") === "failed") return { action: { kind: "done" }, label: "initialize failed", explain: "The agent refused initialize; read its error and stderr. Nothing else can work before it." };
  if (state("session") === "pending") {
    return { action: { kind: "session_new" }, label: "Send session/new", explain: "Asks for a session in the working directory. An agent that needs a login answers -32000 (auth_required) here." };
  }
  if (state("session") === "ok") return { action: { kind: "done" }, label: "Authenticated", explain: "The session was created: this profile passes the agent's auth gate." };
  if (state("remediation") === "pending" || state("remediation") === "failed") {
    const agent = methods.find((m) => m.class === "agent");
    if (agent) {
      return {
        action: { kind: "authenticate", methodId: agent.id },
        label: `authenticate "${agent.id}"`,
        explain: `Sends authenticate {methodId:"${agent.id}"}: an agent-type method; the agent does the login itself and answers {} on success.`,
      };
    }
    const terminal = methods.find((m) => m.class === "terminal" || m.class === "legacy-terminal");
    if (terminal) {
      const convention = terminal.class === "terminal" ? "spec" : "legacy";
      return {
        action: { kind: "login", methodId: terminal.id, convention },
        label: `Run the terminal login "${terminal.name}"`,
        explain:
          convention === "spec"
            ? `A terminal method: the client runs the agent's own command plus ${JSON.stringify(terminal.args ?? [])} in a terminal. Exit 0 means success; then the playground reconnects (new process), initializes and retries session/new.`
            : `A legacy _meta["terminal-auth"] method: the client runs its command in a terminal. Exit 0 means success; then the playground reconnects and retries.`,
      };
    }
    return { action: { kind: "done" }, label: "No usable method", explain: "The agent asked for auth but advertised no method this client can run." };
  }
  if (state("retry") === "pending") return { action: { kind: "session_new" }, label: "Retry session/new", explain: "After the remediation, the same request again." };
  return { action: { kind: "done" }, label: state("retry") === "ok" ? "Authenticated after remediation" : "Still failing", explain: "See the diagnosis below for why." };
}
