/**
 * The server-side agent catalog: the only place an agent command can come from. The browser picks
 * an id; it can never supply a command, args or env. Built-in entries are the two bundled Kimi Code
 * builds; users add more in `<data-dir>/agents.json`. A broken file is reported, never fatal.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CatalogEntryView } from "../lib/wire";
import { AgentBinaryError, CatalogError, PlaygroundError, UnknownAgentError } from "./errors";
import { homeDirProblem, recognizeAgent } from "./run-home";
import { type NpxSpec, registryEntry, resolveNpx } from "./registry-entry";
import { bundledNode } from "./runtime";

const require = createRequire(import.meta.url);

export interface CatalogEntry {
  id: string;
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** `node22`: run `command` as a script under the bundled Node 22 runtime. */
  runtime?: "node22";
  builtin: boolean;
  /** A Kimi Code build: profiles materialize into KIMI_CODE_HOME for it. */
  kimi?: boolean;
  /** An ACP Registry entry (`distribution.npx`): the installed package whose bin runs (server/registry-entry.ts). */
  npx?: NpxSpec;
  /**
   * The agent's own home variables, each a directory relative to the run's HOME (`{"CODEX_HOME":
   * ".codex"}`); the relay sets them like HOME and XDG. Absent: what server/run-home.ts knows of
   * the agent the command line runs. Server-side only (agents.json, never the browser).
   */
  homeEnv?: Record<string, string>;
  version?: string;
  /**
   * Plays the agent side of this recorded trace instead of running a real agent. Also the relay's
   * mark that the run is a replay (no terminal, file write/read or login is run for it): set only
   * by replayEntry(), from replay_run or a `replay` entry of the user's agents.json, never from a
   * trace's content or a browser command.
   */
  replay?: string;
  /** The relay points this agent at the OAuth lab's emulator (KIMI_CODE_OAUTH_HOST with the run's prefix). */
  oauthLab?: boolean;
}

/** The replay agent script, run under the bundled Node like any JavaScript agent. */
export const REPLAY_AGENT = fileURLToPath(new URL("../bin/replay-agent.mjs", import.meta.url));

export function replayEntry(id: string, label: string, trace: string, builtin = false): CatalogEntry {
  return { id, label, command: REPLAY_AGENT, args: [trace], env: {}, runtime: "node22", builtin, replay: trace };
}

export interface ResolvedCommand {
  file: string;
  args: string[];
  runtimeVersion?: string;
}

export const CATALOG_FILE = "agents.json";

function bundledKimi(id: string, pkg: string, label: string): CatalogEntry {
  let main = "";
  let version: string | undefined;
  try {
    const pkgJson = require.resolve(`${pkg}/package.json`);
    main = path.join(path.dirname(pkgJson), "dist", "main.mjs");
    version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version?: string }).version;
  } catch {
    main = path.join("node_modules", pkg, "dist", "main.mjs");
  }
  return {
    id,
    label,
    command: main,
    args: ["acp"],
    env: { KIMI_DISABLE_TELEMETRY: "1" },
    runtime: "node22",
    builtin: true,
    kimi: true,
    version,
  };
}

/** The reference agent (agents/reference/): each auth behaviour is its own fixed catalog entry. */
export const REFERENCE_AGENT = fileURLToPath(new URL("../agents/reference/reference-agent.mjs", import.meta.url));

export const REFERENCE_BEHAVIOURS = [
  { behaviour: "none", id: "reference-none", label: "no auth" },
  { behaviour: "agent", id: "reference-agent", label: "agent method" },
  { behaviour: "terminal", id: "reference-terminal", label: "terminal method" },
  { behaviour: "env_var", id: "reference-env-var", label: "env_var method" },
  { behaviour: "status", id: "reference-status", label: "auth/status" },
  { behaviour: "url", id: "reference-url", label: "URL elicitation" },
  { behaviour: "providers", id: "reference-providers", label: "providers" },
] as const;

function referenceEntries(): CatalogEntry[] {
  return REFERENCE_BEHAVIOURS.map(({ behaviour, id, label }) => ({
    id,
    label: `Reference agent · ${label}`,
    command: REFERENCE_AGENT,
    args: ["--auth", behaviour],
    env: {},
    runtime: "node22",
    builtin: true,
    version: "1.0.0",
    ...(behaviour === "url" ? { oauthLab: true } : {}),
  }));
}

export function builtinEntries(): CatalogEntry[] {
  return [
    bundledKimi("kimi-2.1.0", "@moonshot-ai/kimi-code", "Kimi Code 2.1.0 (bundled)"),
    bundledKimi("kimi-0.28.0", "kimi-code-0.28.0", "Kimi Code 0.28.0 (bundled, has the #1330 gate)"),
    ...referenceEntries(),
  ];
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parse the user's agents.json. Accepts `{ "agents": [...] }` or a bare array. */
export function parseCatalogFile(text: string, file: string): CatalogEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(`${file} is not valid JSON: ${(error as Error).message}`, "Fix the JSON syntax, or delete the file to use only the built-in agents.");
  }
  const list = Array.isArray(value) ? value : (value as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(list)) {
    throw new CatalogError(`${file} must hold an array of agents, or an object with an "agents" array.`, 'Example: {"agents":[{"id":"kimi","label":"kimi on PATH","command":"kimi","args":["acp"]}]}');
  }
  return list.map((raw, index) => {
    const where = `${file}: agent #${index + 1}`;
    if (typeof raw !== "object" || raw === null) throw new CatalogError(`${where} is not an object.`);
    const e = raw as Record<string, unknown>;
    if (typeof e.id !== "string" || !ID_RE.test(e.id)) throw new CatalogError(`${where} needs an "id" of letters, digits, dot, dash or underscore.`);
    // The ACP Registry's agent.json format, next to this file's own.
    if (e.distribution !== undefined && e.command === undefined) return registryEntry(e, where);
    if ((typeof e.command !== "string" || e.command.length === 0) && typeof e.replay !== "string") throw new CatalogError(`${where} (${e.id}) needs a "command" string (or "replay": a trace file).`);
    const args = e.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw new CatalogError(`${where} (${e.id}): "args" must be an array of strings.`);
    const env = e.env ?? {};
    if (typeof env !== "object" || env === null || Array.isArray(env) || !Object.values(env).every((v) => typeof v === "string")) {
      throw new CatalogError(`${where} (${e.id}): "env" must be an object of strings.`);
    }
    if (typeof e.replay === "string") {
      return replayEntry(e.id, typeof e.label === "string" ? e.label : `Replay of ${path.basename(e.replay)}`, path.resolve(path.dirname(file), e.replay));
    }
    if (e.runtime !== undefined && e.runtime !== "node22") throw new CatalogError(`${where} (${e.id}): "runtime" may only be "node22".`);
    const homeEnv = parseHomeEnv(e.homeEnv, `${where} (${e.id})`);
    return {
      id: e.id,
      label: typeof e.label === "string" ? e.label : e.id,
      command: e.command as string,
      args: args as string[],
      env: env as Record<string, string>,
      runtime: e.runtime as "node22" | undefined,
      builtin: false,
      kimi: e.kimi === true,
      ...(homeEnv ? { homeEnv } : {}),
    };
  });
}

/** A variable an agent reads as its home or config directory (`…_HOME`, `…_DIR`, XDG_…). */
const HOME_VAR_RE = /^(XDG_[A-Z_]+|[A-Z][A-Z0-9_]*_(HOME|DIR))$/;

/** agents.json `homeEnv`: home-directory variables only, each a path inside the run's HOME. */
function parseHomeEnv(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CatalogError(`${where}: "homeEnv" must be an object of variable → directory relative to HOME.`);
  const out: Record<string, string> = {};
  for (const [name, rel] of Object.entries(value)) {
    if (!HOME_VAR_RE.test(name) || name === "HOME") {
      throw new CatalogError(`${where}: "homeEnv" may name only an agent's home or config directory variable (…_HOME, …_DIR), not "${name}".`, 'Example: "homeEnv": {"CODEX_HOME": ".codex"}');
    }
    const problem = typeof rel === "string" ? homeDirProblem(rel) : "it must be a string";
    if (problem) throw new CatalogError(`${where}: "homeEnv" ${name}: ${problem}.`);
    out[name] = rel as string;
  }
  return out;
}

/**
 * The home variables the relay sets for this agent besides HOME and XDG: the entry's own
 * `homeEnv`, else what server/run-home.ts knows of the agent its command line runs.
 */
export function agentHomeEnv(entry: Pick<CatalogEntry, "command" | "args" | "homeEnv">): Record<string, string> {
  return { ...(entry.homeEnv ?? recognizeAgent([entry.command, ...entry.args])?.homeEnv ?? {}) };
}

/** Find an executable on PATH without a shell. */
export function whichSync(command: string, searchPath: string): string | undefined {
  if (command.includes("/")) return isExecutable(command) ? path.resolve(command) : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class Catalog {
  private entries: CatalogEntry[] = [];
  /** Entries made at run time (replay of an imported trace); they survive reloads of agents.json. */
  private readonly ephemeral: CatalogEntry[] = [];
  /** `npm start -- --agent-cmd …`: listed first (the UI selects the first entry), for this start only. */
  private startup: CatalogEntry[] = [];
  private loadError?: PlaygroundError;

  constructor(private readonly dataDir: string) {
    this.reload();
  }

  get file(): string {
    return path.join(this.dataDir, CATALOG_FILE);
  }

  /** Re-read agents.json; a broken file keeps the built-ins and reports why. */
  reload(): void {
    const builtins = builtinEntries();
    this.loadError = undefined;
    let user: CatalogEntry[] = [];
    if (existsSync(this.file)) {
      try {
        user = parseCatalogFile(readFileSync(this.file, "utf8"), this.file);
        const ids = new Set([...this.startup, ...builtins].map((b) => b.id));
        for (const u of user) {
          if (ids.has(u.id)) throw new CatalogError(`${this.file}: agent id "${u.id}" is used twice (or by a built-in agent).`, "Give each agent its own id.");
          ids.add(u.id);
        }
      } catch (error) {
        this.loadError = error instanceof PlaygroundError ? error : new CatalogError(String(error));
        user = [];
      }
    }
    this.entries = [...this.startup, ...builtins, ...user, ...this.ephemeral];
  }

  /** The server's --agent-cmd entries (server-side argv, trusted like agents.json). */
  setStartup(entries: CatalogEntry[]): void {
    const ids = new Set(builtinEntries().map((b) => b.id));
    for (const e of entries) {
      if (ids.has(e.id)) throw new CatalogError(`The --agent-cmd id "${e.id}" is used twice (or by a built-in agent).`);
      ids.add(e.id);
    }
    this.startup = entries;
    this.reload();
  }

  addEphemeral(entry: CatalogEntry): void {
    const i = this.ephemeral.findIndex((e) => e.id === entry.id);
    if (i >= 0) this.ephemeral.splice(i, 1);
    this.ephemeral.push(entry);
    this.reload();
  }

  /** Drop an ephemeral entry (a replay whose trace copy went with its run); true if there was one. */
  removeEphemeral(id: string): boolean {
    const i = this.ephemeral.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.ephemeral.splice(i, 1);
    this.reload();
    return true;
  }

  get error(): PlaygroundError | undefined {
    return this.loadError;
  }

  list(): CatalogEntry[] {
    return this.entries;
  }

  get(id: string): CatalogEntry {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) throw new UnknownAgentError(`No agent "${id}" in the catalog.`, `Pick one of: ${this.entries.map((e) => e.id).join(", ")}; or add it to ${this.file}.`);
    return entry;
  }

  /** Turn an entry into file + args for spawn, checking that everything exists first. */
  resolve(entry: CatalogEntry, searchPath: string): ResolvedCommand {
    if (entry.npx) {
      const bin = resolveNpx(entry.npx, entry.id, this.dataDir);
      if (!bin.node22) return { file: bin.file, args: entry.args };
      const node = bundledNode();
      return { file: node.path, args: [bin.file, ...entry.args], runtimeVersion: node.version };
    }
    if (entry.runtime === "node22") {
      const node = bundledNode();
      const script = path.resolve(entry.command);
      if (!existsSync(script)) {
        throw new AgentBinaryError(`The agent script ${script} does not exist.`, entry.builtin ? "Run `npm install` to restore the bundled agents." : `Fix "command" of "${entry.id}" in ${this.file}.`);
      }
      return { file: node.path, args: [script, ...entry.args], runtimeVersion: node.version };
    }
    const file = whichSync(entry.command, searchPath);
    if (!file) {
      throw new AgentBinaryError(
        `The agent command "${entry.command}" was not found${entry.command.includes("/") ? "" : " on PATH"} or is not executable.`,
        `Install it, or give an absolute path in "command" of "${entry.id}" in ${this.file}.`,
      );
    }
    return { file, args: entry.args };
  }

  views(searchPath: string): CatalogEntryView[] {
    return this.entries.map((entry) => {
      let problem: string | undefined;
      let argv: string[] = [entry.command, ...entry.args];
      try {
        const r = this.resolve(entry, searchPath);
        argv = [r.file, ...r.args];
      } catch (error) {
        const e = error as PlaygroundError;
        problem = e.hint ? `${e.message} ${e.hint}` : e.message;
      }
      return { id: entry.id, label: entry.label, argv, builtin: entry.builtin, problem, version: entry.version, replay: entry.replay !== undefined };
    });
  }
}
