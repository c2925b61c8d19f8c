/**
 * `npm run matrix`: the auth matrix without a browser, for CI. Every agent × profile cell is
 * probed (spawn, initialize, session/new, kill) in a fresh temporary home, and the verdicts are
 * printed as a table, JSON, Markdown or JUnit. With --expect the exit status says whether any
 * verdict changed, so a pipeline fails when an agent build regresses on a credential setup.
 * `--prompt TEXT` adds a session/prompt step (gates enforced only at prompt time then show);
 * `--shard K/N` runs one deterministic slice so CI can fan a big matrix out over many jobs, and
 * `merge a.json b.json …` joins the shards' JSON reports back into one matrix.
 * Exit status: 0 done, 1 a verdict differs from --expect, 2 the invocation cannot run, 130 Ctrl-C.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  cellKey,
  type Comparison,
  compareCells,
  type Expectations,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatShardJson,
  formatTable,
  mergeShards,
  parseShard,
  type ProbeCell,
  type ShardSpec,
  shardSlice,
  verdictText,
} from "../lib/matrix-report";
import { Redactor } from "../lib/redact";
import type { ProtocolVersion } from "../lib/version";
import { agentCommandEntry } from "../server/agent-cmd";
import { Catalog, type CatalogEntry } from "../server/catalog";
import { childEnv } from "../server/child-env";
import { INTERRUPTED_EXIT, onInterrupt, printUsage, runCli } from "../server/cli-main";
import { AgentBinaryError, CatalogError, PlaygroundError, UsageError } from "../server/errors";
import { dirFlag, formatFlag, protocolFlag, scriptFlags } from "../server/script-flags";
import { EXPECTATIONS_EXAMPLE, type MatrixCell, readExpectations, runMatrix } from "../server/matrix";
import { type ModelServer, startModelServer } from "../server/model-server";
import type { ExistingHomeProfile } from "../server/probe";
import { homeSecrets, ProfileStore, type StoredProfile, validateFields } from "../server/profiles";

const FORMATS = ["table", "json", "markdown", "junit"] as const;
type Format = (typeof FORMATS)[number];

/** Each probe is a whole agent process (Kimi: a few hundred MB): more at once only thrashes the machine. */
const MAX_CONCURRENCY = 16;

const USAGE = `Usage: npm run matrix -- [options]
       npm run matrix -- merge SHARD.json… [--format F] [--out FILE] [--expect FILE]
  --agent ID              a catalog agent (repeatable; default: every catalog agent)
  --agent-cmd "CMD ARGS"  any ACP agent command line, split without a shell (repeatable);
                          its id in outputs and expectations is the command line as written
  --profile NAME          a stored profile, by name or id (repeatable; default: every profile)
  --profile-dir NAME=DIR  an existing agent home, copied into a temporary home (repeatable)
  --format F              table (default) | json | markdown | junit
  --out FILE              write the result to FILE instead of stdout
  --expect FILE           exit 1 when a verdict differs from FILE, e.g.
                          ${EXPECTATIONS_EXAMPLE}
  --data-dir DIR          profiles and agents.json (default ACP_PLAYGROUND_HOME or ~/.acp-playground)
  --concurrency N         probes at once, at most ${MAX_CONCURRENCY} (default: CPU count, at most ${MAX_CONCURRENCY})
  --timeout MS            per cell (default 30000)
  --prompt TEXT           after session/new, send session/prompt with TEXT (shows prompt-time gates)
  --protocol 1|2          the ACP version initialize asks for (default 1); each cell then speaks the
                          version its agent answers with (v2: auth/login instead of authenticate);
                          every format states both, and names cells that answered another version
  --shard K/N             run slice K of N (cells ranked by agent id, then profile id; rank i goes
                          to shard i mod N + 1); with --format json it writes a shard report for merge
Verdicts: session-created, prompt-answered, prompt-refused (session created, prompt refused with
-32000), prompt-error, auth-required, error, initialize-failed, crashed, timed-out.
CI: npm run matrix -- --agent kimi-2.1.0 --profile "Logged out" --format junit --out matrix.xml --expect expect.json`;

interface Args {
  agents: string[];
  agentCmds: string[];
  profiles: string[];
  profileDirs: { name: string; dir: string }[];
  format: Format;
  out?: string;
  expect?: string;
  dataDir: string;
  concurrency: number;
  timeoutMs: number;
  prompt?: string;
  protocol?: ProtocolVersion;
  shard?: ShardSpec;
  help: boolean;
}

const SEE_HELP = "Run `npm run matrix -- --help` for the options.";

const VALUE_FLAGS = new Set(["agent", "agent-cmd", "profile", "profile-dir", "format", "out", "expect", "data-dir", "concurrency", "timeout", "prompt", "protocol", "shard"]);

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number of at least 1, not "${raw}".`, SEE_HELP);
  return n;
}

function parseArgs(argv: string[], env: Readonly<Record<string, string | undefined>>): Args {
  const args: Args = {
    agents: [],
    agentCmds: [],
    profiles: [],
    profileDirs: [],
    format: "table",
    dataDir: path.resolve(env.ACP_PLAYGROUND_HOME ?? path.join(os.homedir(), ".acp-playground")),
    concurrency: Math.min(os.availableParallelism(), MAX_CONCURRENCY),
    timeoutMs: 30_000,
    help: false,
  };
  const flags = scriptFlags(argv, { options: VALUE_FLAGS }, `Options start with --; quote a command line given to --agent-cmd. ${SEE_HELP}`, SEE_HELP);
  for (const { name, value } of flags) {
    // --help (or -h) is the matrix's only switch.
    if (value === true) {
      args.help = true;
      continue;
    }
    switch (name) {
      case "agent":
        args.agents.push(value);
        break;
      case "agent-cmd":
        args.agentCmds.push(value);
        break;
      case "profile":
        args.profiles.push(value);
        break;
      case "profile-dir": {
        const split = value.indexOf("=");
        if (split <= 0 || split === value.length - 1) throw new UsageError(`--profile-dir wants NAME=DIR, not "${value}".`, 'e.g. --profile-dir "my home=~/.kimi-code"');
        args.profileDirs.push({ name: value.slice(0, split).trim(), dir: value.slice(split + 1).trim() });
        break;
      }
      case "format":
        args.format = formatFlag(value, FORMATS);
        break;
      case "out":
        args.out = path.resolve(value);
        break;
      case "expect":
        args.expect = path.resolve(value);
        break;
      case "data-dir":
        args.dataDir = dirFlag(value);
        break;
      case "concurrency":
        args.concurrency = positiveInt(value, name);
        if (args.concurrency > MAX_CONCURRENCY) {
          throw new UsageError(`--concurrency ${args.concurrency} is over the limit of ${MAX_CONCURRENCY} probes at once: each probe is a whole agent process.`, `Use --concurrency ${MAX_CONCURRENCY} or less. ${SEE_HELP}`);
        }
        break;
      case "timeout":
        args.timeoutMs = positiveInt(value, name);
        break;
      case "prompt":
        if (value.trim() === "") throw new UsageError("--prompt needs some text to send.", 'e.g. --prompt "Say hello"');
        args.prompt = value;
        break;
      case "protocol":
        args.protocol = protocolFlag(value, SEE_HELP);
        break;
      case "shard": {
        const shard = parseShard(value);
        if (typeof shard === "string") throw new UsageError(`${shard}.`, "e.g. --shard 1/4 in the first of four CI jobs.");
        args.shard = shard;
        break;
      }
    }
  }
  return args;
}

function commandEntry(line: string): CatalogEntry {
  try {
    return agentCommandEntry(line, line.trim());
  } catch (error) {
    if (error instanceof CatalogError) throw new UsageError(error.message, error.hint);
    throw error;
  }
}

function pickAgents(args: Args, catalog: Catalog): CatalogEntry[] {
  const chosen = args.agents.map((id) => catalog.get(id));
  chosen.push(...args.agentCmds.map(commandEntry));
  const agents = chosen.length > 0 ? chosen : catalog.list();
  const seen = new Set<string>();
  for (const agent of agents) {
    if (seen.has(agent.id)) throw new UsageError(`The agent "${agent.id}" is given twice.`, "Name each agent once.");
    seen.add(agent.id);
    // Fail before any probe runs: a missing binary is a setup problem, not a verdict.
    try {
      catalog.resolve(agent, childEnv(process.env).PATH);
    } catch (error) {
      if (error instanceof AgentBinaryError && args.agentCmds.includes(agent.id)) {
        throw new UsageError(`--agent-cmd "${agent.id}": ${error.message}`, "It runs without a shell: give a program on PATH or a path to an executable file, then its arguments.");
      }
      throw error;
    }
  }
  return agents;
}

/** `id` ranks the cell for --shard: a stored profile's id, or `dir:NAME` for --profile-dir. */
type Picked = { name: string; id: string; profile: StoredProfile | ExistingHomeProfile; secrets: string[] };

function pickProfiles(args: Args, store: ProfileStore): Picked[] {
  const all = store.list();
  const picked: Picked[] = args.profiles.map((wanted) => {
    const view = all.find((p) => p.id === wanted) ?? all.find((p) => p.name.toLowerCase() === wanted.toLowerCase());
    const profile = view ? store.get(view.id) : undefined;
    if (!profile) {
      throw new UsageError(`No profile named "${wanted}" in ${store.dir}.`, `Known profiles: ${all.map((p) => `"${p.name}"`).join(", ")}. Create it in the playground UI, or use --profile-dir NAME=DIR for an existing home.`);
    }
    return { name: profile.name, id: profile.id, profile, secrets: [] };
  });
  for (const { name, dir } of args.profileDirs) {
    // Validates now (exists, readable) so a typo is a usage error, not a crashed cell.
    let fields: StoredProfile["fields"];
    try {
      fields = validateFields("existing-home", { path: dir, inPlace: false });
    } catch (error) {
      if (error instanceof PlaygroundError) throw new UsageError(`--profile-dir ${name}=${dir}: ${error.message}`, "Give the absolute path (or ~/…) of an agent home directory this user can read, e.g. ~/.kimi-code.");
      throw error;
    }
    picked.push({ name, id: `dir:${name}`, profile: { existingHome: String(fields.path), name }, secrets: homeSecrets(String(fields.path)) });
  }
  if (args.profiles.length === 0 && args.profileDirs.length === 0) {
    for (const view of all) {
      const profile = store.get(view.id);
      if (profile) picked.push({ name: profile.name, id: profile.id, profile, secrets: [] });
    }
  }
  if (picked.length === 0) throw new UsageError(`There are no profiles in ${store.dir}.`, "Start the playground once, or use --profile-dir NAME=DIR.");
  const seen = new Set<string>();
  for (const p of picked) {
    const key = p.name.toLowerCase();
    if (seen.has(key)) throw new UsageError(`The profile "${p.name}" is given twice.`, "Give each --profile-dir its own NAME.");
    seen.add(key);
  }
  return picked;
}

function needsModelServer(profiles: Picked[]): boolean {
  return profiles.some((p) => "kind" in p.profile && p.profile.kind === "kimi-api-key" && p.profile.fields.provider === "offline");
}

/** One status line on a terminal, rewritten in place; finished cells scroll above it. */
class Progress {
  private done = 0;
  private readonly running = new Set<string>();
  constructor(private readonly total: number, private readonly enabled: boolean) {}

  start(key: string): void {
    this.running.add(key);
    this.draw();
  }

  finish(cell: ProbeCell): void {
    const key = cellKey(cell);
    this.running.delete(key);
    this.done++;
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[2K  ${key}: ${verdictText(cell)} · ${(cell.ms / 1000).toFixed(1)} s\n`);
    this.draw();
  }

  clear(): void {
    if (this.enabled) process.stderr.write("\r\x1b[2K");
  }

  private draw(): void {
    if (!this.enabled) return;
    const width = process.stderr.columns || 100;
    const line = `[${this.done}/${this.total}] running: ${[...this.running].join(", ")}`;
    process.stderr.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
  }
}

function playgroundVersion(): string {
  try {
    const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "package.json");
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version?: string }).version ?? "?";
  } catch {
    return "?";
  }
}

function render(format: Format, cells: ProbeCell[], comparison: Comparison | undefined, shard?: { spec: ShardSpec; plan: string[]; protocol: ProtocolVersion }): string {
  switch (format) {
    case "table":
      return formatTable(cells, comparison);
    case "json":
      return shard ? formatShardJson(shard.spec, shard.plan, cells, shard.protocol) : formatJson(cells);
    case "markdown":
      return formatMarkdown(cells, { comparison, note: `ACP Playground ${playgroundVersion()} · ${os.platform()} ${os.arch()} · ${new Date().toISOString()}` });
    case "junit":
      return formatJunit(cells, { comparison, timestamp: new Date().toISOString() });
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "merge") return merge(argv.slice(1));
  const args = parseArgs(argv, process.env);
  if (args.help) return printUsage(USAGE);
  const expectations: Expectations | undefined = args.expect ? await readExpectations(args.expect) : undefined;
  const catalog = new Catalog(args.dataDir);
  if (catalog.error) process.stderr.write(`matrix: warning: ${catalog.error.message}${catalog.error.hint ? ` ${catalog.error.hint}` : ""}\n`);
  const store = new ProfileStore(args.dataDir);
  // Same as the app's first start: an empty data dir gets the built-in example profiles.
  await store.init();
  for (const problem of store.problems) process.stderr.write(`matrix: warning: ${problem.message}\n`);
  const agents = pickAgents(args, catalog);
  const profiles = pickProfiles(args, store);
  const redactor = new Redactor([...store.secrets(), ...profiles.flatMap((p) => p.secrets)]);
  const redact = (text: string): string => redactor.redact(text);

  const runsDir = await mkdtemp(path.join(os.tmpdir(), "acp-matrix-"));
  let modelServer: ModelServer | undefined;
  const interrupt = onInterrupt("\nmatrix: interrupted; stopping the agents (Ctrl-C again to leave at once)\n");
  try {
    if (needsModelServer(profiles)) modelServer = await startModelServer();
    const all = agents.flatMap((agent) => profiles.map((p) => ({ agent, picked: p })));
    // The plan is the whole matrix in the unsharded order; a merge checks it has every cell of it.
    const plan = all.map((c) => cellKey({ agent: c.agent, profile: c.picked }));
    const mine = args.shard ? shardSlice(all, (c) => [c.agent.id, c.picked.id], args.shard) : all;
    if (args.shard && process.stderr.isTTY) process.stderr.write(`matrix: shard ${args.shard.index}/${args.shard.count}: ${mine.length} of ${all.length} cells\n`);
    const cells: MatrixCell[] = mine.map(({ agent, picked }) => ({
      agent,
      profile: picked.profile,
      dataDir: args.dataDir,
      runsDir,
      modelServerUrl: modelServer?.url,
      redact,
      // A command line typed by the user names files relative to where they typed it.
      spawnCwd: args.agentCmds.includes(agent.id) ? process.cwd() : undefined,
      prompt: args.prompt,
      protocolVersion: args.protocol,
    }));
    const progress = new Progress(cells.length, process.stderr.isTTY === true);
    const nameOf = (cell: MatrixCell): string => `${cell.agent.id} × ${profiles.find((p) => p.profile === cell.profile)?.name ?? "?"}`;
    const results = await runMatrix(cells, {
      concurrency: args.concurrency,
      timeoutMs: args.timeoutMs,
      signal: interrupt.signal,
      onStart: (cell) => progress.start(nameOf(cell)),
      onDone: (result) => progress.finish(result),
    });
    progress.clear();
    if (interrupt.interrupted) return INTERRUPTED_EXIT;

    const comparison = expectations ? compareCells(results, expectations) : undefined;
    const text = render(args.format, results, comparison, args.shard ? { spec: args.shard, plan, protocol: args.protocol ?? 1 } : undefined);
    return await emit(text, results, comparison, args);
  } finally {
    interrupt.dispose();
    await modelServer?.close();
    await rm(runsDir, { recursive: true, force: true });
  }
}

/** Write the rendering, then turn the comparison into the exit status (shared by runs and merges). */
async function emit(text: string, results: ProbeCell[], comparison: Comparison | undefined, args: Pick<Args, "out" | "expect">): Promise<number> {
  if (args.out) {
    await writeFile(args.out, text);
    if (process.stderr.isTTY) process.stderr.write(`matrix: wrote ${results.length} cells to ${args.out}\n`);
  } else process.stdout.write(text);

  if (comparison) {
    if (comparison.unused.length > 0) process.stderr.write(`matrix: note: ${args.expect} names cells that did not run: ${comparison.unused.join("; ")}\n`);
    if (comparison.mismatches.length > 0) {
      process.stderr.write(`matrix: ${comparison.mismatches.length} cell(s) differ from ${args.expect}:\n`);
      for (const m of comparison.mismatches) {
        const detail = results.find((r) => cellKey(r) === m.key)?.detail;
        process.stderr.write(`  ✗ ${m.key}: expected ${m.expected}, got ${m.actual}${detail ? ` (${detail})` : ""}\n`);
      }
      return 1;
    }
  }
  return 0;
}

const MERGE_FLAGS = new Set(["format", "out", "expect"]);

/** `merge a.json b.json …`: the shards' JSON reports joined into the one matrix they split. */
async function merge(argv: string[]): Promise<number> {
  const files: string[] = [];
  const opts: { format: Format; out?: string; expect?: string } = { format: "table" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return printUsage(USAGE);
    if (!arg.startsWith("--")) {
      files.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!MERGE_FLAGS.has(name)) throw new UsageError(`merge does not take --${name}.`, "merge takes shard report files and --format, --out, --expect.");
    const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value.`, SEE_HELP);
    if (name === "format") opts.format = formatFlag(value, FORMATS);
    else if (name === "out") opts.out = path.resolve(value);
    else opts.expect = path.resolve(value);
  }
  if (files.length === 0) throw new UsageError("merge needs the shard reports to join.", "e.g. npm run matrix -- merge shard-1.json shard-2.json --format junit --out matrix.xml");
  const texts = await Promise.all(
    files.map(async (file) => {
      try {
        return { name: file, text: await readFile(file, "utf8") };
      } catch (error) {
        throw new UsageError(`Cannot read the shard report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, "Give the files each shard job wrote with --out.");
      }
    }),
  );
  const merged = mergeShards(texts);
  if (!merged.ok) throw new UsageError(`merge refused: ${merged.problem}`, merged.hint);
  const expectations: Expectations | undefined = opts.expect ? await readExpectations(opts.expect) : undefined;
  const comparison = expectations ? compareCells(merged.cells, expectations) : undefined;
  return emit(render(opts.format, merged.cells, comparison), merged.cells, comparison, opts);
}

void runCli("matrix", main);
