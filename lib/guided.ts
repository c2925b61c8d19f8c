/**
 * Guided mode: from the timeline, the one next step a user should take and what it will send,
 * so a newcomer can walk the auth lifecycle a click at a time and read why each step exists.
 * `rankAuthMethods` orders what the agent advertised by whether the playground can complete it
 * offline (a variable or key the profile already has) before interactive logins and browser
 * logins that never answer here; Guided and the relay's Auto flow (server/auth-flows.ts) share it.
 * Both protocol versions: v2's `auth/login` takes v1's `authenticate`'s place, and the client-side
 * MUSTs hold in either — no login request for a terminal method, none when authMethods is empty.
 */
import { apiKeyVarFor, type AuthExtension, authExtensions, describedVars } from "./auth-frames";
import type { AuthStep } from "./auth-timeline";
import { SESSION_NOT_PROOF } from "./error-codes";
import type { AuthMethodView } from "./selectors";
import { authVerbs, type ProtocolVersion } from "./version";

export type GuidedAction =
  | { kind: "start" }
  | { kind: "initialize" }
  | { kind: "session_new" }
  /** `method`: authenticate (v1) or auth/login (v2), whichever the negotiated version names. */
  | { kind: "authenticate"; methodId: string; method: "authenticate" | "auth/login" }
  /** An env_var method: restart the agent with its variables (from the profile), then authenticate. */
  | { kind: "env_var"; methodId: string; vars: string[]; needsInput: boolean }
  /** Gemini's `_meta["api-key"]`: authenticate with the key from the profile variable. */
  | { kind: "api_key"; methodId: string; fromVar: string }
  | { kind: "login"; methodId: string; convention: "spec" | "legacy" }
  | { kind: "done" };

export interface GuidedStep {
  action: GuidedAction;
  label: string;
  explain: string;
}

/** How a method would be completed, best first. */
export type RankedHow = "env_var" | "api_key" | "authenticate-key" | "terminal" | "authenticate" | "env_var-typed";

export interface RankedMethod {
  method: AuthMethodView;
  how: RankedHow;
  /** Completable without a browser or a person at a terminal. */
  offline: boolean;
  /** env_var: the variables; api_key: the profile variable; authenticate-key: the described ones. */
  vars: string[];
  convention?: "spec" | "legacy";
  why: string;
}

/** A typed env_var value still completes offline, so it ranks before a browser login that never answers here. */
const ORDER: Record<RankedHow, number> = { env_var: 0, api_key: 1, "authenticate-key": 2, terminal: 3, "env_var-typed": 4, authenticate: 5 };

/**
 * The advertised methods in the order a flow should try them. `profileEnv` are the variable names
 * the profile sets (names only). Browser logins (Gemini's oauth-personal, Codex's chatgpt) rank
 * after everything completable offline, because on a machine without a browser they never answer.
 */
export function rankAuthMethods(methods: readonly AuthMethodView[], profileEnv: readonly string[]): RankedMethod[] {
  const out: RankedMethod[] = [];
  for (const m of methods) {
    const ext: AuthExtension[] = authExtensions(m);
    if (m.class === "env_var") {
      const vars = (m.vars ?? []).map((v) => v.name);
      const required = (m.vars ?? []).filter((v) => !v.optional).map((v) => v.name);
      const have = required.length > 0 && required.every((n) => profileEnv.includes(n));
      out.push({ method: m, how: have ? "env_var" : "env_var-typed", offline: have, vars, why: have ? `the profile sets ${required.join(", ")}` : `needs ${vars.join(", ")}: type ${vars.length === 1 ? "it" : "them"} in the form` });
    } else if (m.class === "agent") {
      const fromVar = apiKeyVarFor(m, profileEnv);
      const described = describedVars(m).filter((n) => profileEnv.includes(n));
      const metaTerminal = ext.some((e) => e.kind === "meta-terminal");
      if (fromVar) out.push({ method: m, how: "api_key", offline: true, vars: [fromVar], why: `the profile sets ${fromVar} for Gemini CLI's _meta["api-key"]` });
      else if (described.length > 0) out.push({ method: m, how: "authenticate-key", offline: true, vars: described, why: `the method asks for ${described.join(", ")}, which the profile sets` });
      else if (metaTerminal) out.push({ method: m, how: "terminal", offline: false, vars: [], convention: "spec", why: "a terminal login (Qwen Code's _meta.type extension)" });
      else out.push({ method: m, how: "authenticate", offline: false, vars: [], why: ext.some((e) => e.kind === "api-key-meta") ? 'needs a key for _meta["api-key"]: type it in the form' : "the agent logs in itself, typically in a browser" });
    } else if (m.class === "terminal" || m.class === "legacy-terminal") {
      out.push({ method: m, how: "terminal", offline: false, vars: [], convention: m.class === "terminal" ? "spec" : "legacy", why: "an interactive login in a terminal" });
    }
  }
  // Stable: equal ranks keep the agent's own order.
  return out.map((r, i) => ({ r, i })).sort((a, b) => ORDER[a.r.how] - ORDER[b.r.how] || a.i - b.i).map(({ r }) => r);
}

export function nextGuidedStep(steps: AuthStep[], methods: AuthMethodView[], running: boolean, profileEnv: readonly string[] = [], protocol: ProtocolVersion = 1): GuidedStep {
  const login = authVerbs(protocol).login;
  const state = (id: AuthStep["id"]) => steps.find((s) => s.id === id)?.state ?? "pending";
  if (!running || state("spawn") !== "ok") {
    return { action: { kind: "start" }, label: "Start the agent", explain: "Spawns the agent with the active profile's fresh home. Nothing is sent yet." };
  }
  if (state("initialize") === "pending") {
    return {
      action: { kind: "initialize" },
      label: "Send initialize",
      explain: `Sends protocolVersion ${protocol} and the client capabilities you ticked. The agent answers with the version it speaks, and the answer lists its authMethods; agents may hide terminal methods unless auth.terminal is advertised.`,
    };
  }
  if (state("initialize") === "failed") return { action: { kind: "done" }, label: "initialize failed", explain: "The agent refused initialize; read its error and stderr. Nothing else can work before it." };
  if (state("session") === "pending") {
    return { action: { kind: "session_new" }, label: "Send session/new", explain: "Asks for a session in the working directory. An agent that needs a login answers -32000 (auth_required) here." };
  }
  if (state("session") === "ok") {
    return {
      action: { kind: "done" },
      label: "Session created",
      explain: "The session was created. That is not yet proof of authentication: some agents (Claude) create sessions logged out and refuse session/prompt with -32000. Send a prompt to be sure.",
    };
  }
  if (state("remediation") === "pending" || state("remediation") === "failed") {
    const [best] = rankAuthMethods(methods, profileEnv);
    if (!best) return { action: { kind: "done" }, label: "No usable method", explain: "The agent asked for auth but advertised no method this client can run." };
    const m = best.method;
    switch (best.how) {
      case "env_var":
      case "env_var-typed": {
        const needsInput = best.how === "env_var-typed";
        return {
          action: { kind: "env_var", methodId: m.id, vars: best.vars, needsInput },
          label: needsInput ? `Fill in ${best.vars.join(", ")} for "${m.id}"` : `env_var "${m.id}" with the profile's ${best.vars.join(", ")}`,
          explain: `An env_var method: the agent reads ${best.vars.join(", ")} from its own environment, so the playground restarts it with ${needsInput ? "the values you type (masked, never sent back to the page)" : "the profile's values"} and then sends ${login} {methodId:"${m.id}"}. It completes offline.`,
        };
      }
      case "api_key":
        return {
          action: { kind: "api_key", methodId: m.id, fromVar: best.vars[0] },
          label: `authenticate "${m.id}" with the profile's ${best.vars[0]}`,
          explain: `Gemini CLI's extension (not the spec): authenticate carries the key in _meta["api-key"]. The relay takes it from the profile's ${best.vars[0]}, so the page never sees it; the frame shows it redacted.`,
        };
      case "authenticate-key":
      case "authenticate":
        return {
          action: { kind: "authenticate", methodId: m.id, method: login },
          label: `${login} "${m.id}"`,
          explain:
            best.how === "authenticate-key"
              ? `Sends ${login} {methodId:"${m.id}"}: the method asks for ${best.vars.join(", ")}, which the profile sets, so it can complete offline.`
              : `Sends ${login} {methodId:"${m.id}"}: an agent-type method; the agent does the login itself (often in a browser, which never answers on a machine without one) and answers {} on success.`,
        };
      case "terminal": {
        const convention = best.convention ?? "spec";
        return {
          action: { kind: "login", methodId: m.id, convention },
          label: `Run the terminal login "${m.name}"`,
          explain:
            convention === "spec"
              ? `A terminal method: the client runs the agent's own command plus ${JSON.stringify(m.args ?? (m.meta?.args as unknown) ?? [])} in a terminal. Exit 0 means success; then the playground reconnects (new process), initializes and retries session/new.`
              : `A legacy _meta["terminal-auth"] method: the client runs its command in a terminal. Exit 0 means success; then the playground reconnects and retries.`,
        };
      }
    }
  }
  if (state("retry") === "pending") return { action: { kind: "session_new" }, label: "Retry session/new", explain: "After the remediation, the same request again." };
  if (state("retry") === "ok") return { action: { kind: "done" }, label: "Session created after remediation", explain: SESSION_NOT_PROOF };
  return { action: { kind: "done" }, label: "Still failing", explain: "See the diagnosis below for why." };
}
