/**
 * Where each agent looks for its credentials, by name: the environment variables and the files
 * (relative to the run's home, which is the agent's HOME) it reads, as found in each agent's own
 * published build (see README "Profiles for the agents people use"). The diagnosis and the profile
 * form both list these, marking which ones the profile sets, so "why is this agent logged out?"
 * starts from the same list everywhere. Isomorphic and value-free: names and paths only.
 */
import type { ProfileKind } from "./wire";

export type AgentFamily = "kimi" | "gemini" | "claude" | "codex" | "qwen" | "copilot";

export interface SourceSpec {
  /** What the agent calls it, for people: "API key", "OAuth credentials file". */
  name: string;
  via: "env" | "file";
  /** The variable, or the path relative to the run's home. */
  where: string;
  /** Whether the value is a secret (redacted in frames, masked in the browser). */
  secret: boolean;
}

export interface CredentialSource extends SourceSpec {
  /** The profile provides this source. */
  set: boolean;
}

export interface AgentSources {
  family: AgentFamily;
  label: string;
  sources: SourceSpec[];
}

const env = (where: string, name: string, secret = true): SourceSpec => ({ name, via: "env", where, secret });
const file = (where: string, name: string, secret = true): SourceSpec => ({ name, via: "file", where, secret });

/**
 * Checked against: @google/gemini-cli 0.61.0 (Storage.getOAuthCredsPath, security.auth.selectedType),
 * @anthropic-ai/claude-agent-sdk 0.2.83 (CLAUDE_CONFIG_DIR ?? ~/.claude, `.credentials.json`
 * claudeAiOauth, `.claude.json` primaryApiKey), codex-acp 0.16.0 (auth.json as its authenticate
 * writes it), @qwen-code/qwen-code 0.24.4 (getAuthTypeFromEnv needs all three OPENAI_* variables),
 * @github/copilot 1.0.102 (README: GH_TOKEN, GITHUB_TOKEN; COPILOT_GITHUB_TOKEN first).
 */
export const AGENT_SOURCES: Record<AgentFamily, AgentSources> = {
  kimi: {
    family: "kimi",
    label: "Kimi Code",
    sources: [
      file("config.toml", "API key in config.toml (providers.*.api_key)"),
      file("credentials/kimi-code.json", "OAuth token file"),
      env("KIMI_MODEL_API_KEY", "API key variable (with KIMI_MODEL_NAME)"),
    ],
  },
  gemini: {
    family: "gemini",
    label: "Gemini CLI",
    sources: [
      env("GEMINI_API_KEY", "API key"),
      file(".gemini/oauth_creds.json", "OAuth credentials file (Google login)"),
      file(".gemini/settings.json", "settings: security.auth.selectedType picks the auth method", false),
    ],
  },
  claude: {
    family: "claude",
    label: "Claude Agent",
    sources: [
      env("ANTHROPIC_API_KEY", "API key"),
      env("CLAUDE_CODE_OAUTH_TOKEN", "OAuth token variable"),
      file(".claude/.credentials.json", "OAuth credentials file (claudeAiOauth)"),
      // With CLAUDE_CONFIG_DIR set (the relay sets it to <home>/.claude) the global config moves there too.
      file(".claude/.claude.json", "global config: primaryApiKey of a /login API key"),
    ],
  },
  codex: {
    family: "codex",
    label: "Codex",
    sources: [env("CODEX_API_KEY", "API key (method codex-api-key)"), env("OPENAI_API_KEY", "API key (method openai-api-key)"), file(".codex/auth.json", "auth.json ($CODEX_HOME/auth.json)")],
  },
  qwen: {
    family: "qwen",
    label: "Qwen Code",
    sources: [
      env("OPENAI_API_KEY", "OpenAI-compatible API key"),
      env("OPENAI_BASE_URL", "OpenAI-compatible base URL", false),
      env("OPENAI_MODEL", "model id", false),
      file(".qwen/settings.json", "settings: security.auth.selectedType", false),
    ],
  },
  copilot: {
    family: "copilot",
    label: "GitHub Copilot CLI",
    sources: [env("COPILOT_GITHUB_TOKEN", "GitHub token (read first)"), env("GH_TOKEN", "GitHub token"), env("GITHUB_TOKEN", "GitHub token (read last)")],
  },
};

/** The agent a profile kind is made for; undefined for the agent-neutral kinds. */
export function familyOfKind(kind: ProfileKind): AgentFamily | undefined {
  if (kind.startsWith("kimi-")) return "kimi";
  const head = kind.split("-")[0];
  return head in AGENT_SOURCES && head !== "kimi" ? (head as AgentFamily) : undefined;
}

const AGENT_NAME_PATTERNS: [AgentFamily, RegExp][] = [
  ["kimi", /kimi/i],
  ["gemini", /gemini/i],
  ["claude", /claude/i],
  ["codex", /codex/i],
  ["qwen", /qwen/i],
  ["copilot", /copilot/i],
];

/** The family an agent belongs to, from its catalog id or `agentInfo` name/title. */
export function familyOfAgent(names: readonly string[]): AgentFamily | undefined {
  for (const [family, re] of AGENT_NAME_PATTERNS) if (names.some((n) => re.test(n))) return family;
  return undefined;
}

/** Where a source is, for people: the variable, or the file under the agent's home (`~`, or `$KIMI_CODE_HOME` for Kimi). */
export function sourceLocation(family: AgentFamily, source: Pick<SourceSpec, "via" | "where">): string {
  return source.via === "env" ? `env ${source.where}` : `${family === "kimi" ? "$KIMI_CODE_HOME" : "~"}/${source.where}`;
}

/** The key a profile's `sources` list uses for a source: `env NAME` or `file path`. */
export function sourceKey(source: Pick<SourceSpec, "via" | "where">): string {
  return `${source.via} ${source.where}`;
}

/**
 * The Kimi kinds name their sources by what they hold (`config.toml api_key`); map those to the
 * file or variable they live in so one list serves every kind.
 */
const KIMI_ALIASES: Record<string, string> = {
  "config.toml api_key": "file config.toml",
  "config.toml": "file config.toml",
  "credentials/kimi-code.json": "file credentials/kimi-code.json",
  "env KIMI_MODEL_API_KEY": "env KIMI_MODEL_API_KEY",
};

/**
 * The sources of `family`, each marked with whether the profile (its `sources` names, as
 * ProfileView carries them) provides it.
 */
export function credentialSources(family: AgentFamily, provided: readonly string[]): CredentialSource[] {
  const have = new Set(provided.map((p) => KIMI_ALIASES[p] ?? p));
  return AGENT_SOURCES[family].sources.map((s) => ({ ...s, set: have.has(sourceKey(s)) }));
}

/** The family to explain for a run: the profile kind's agent, else the agent's own names. */
export function sourcesFor(kind: ProfileKind, provided: readonly string[], agentNames: readonly string[]): { family: AgentFamily; label: string; sources: CredentialSource[] } | undefined {
  const family = familyOfKind(kind) ?? familyOfAgent(agentNames);
  if (!family) return undefined;
  return { family, label: AGENT_SOURCES[family].label, sources: credentialSources(family, provided) };
}
