/**
 * Catalog entries written in the ACP Registry's `agent.json` format (github.com/agentclientprotocol/
 * registry): `{ id, name, version, distribution: { npx: { package, args, env } } }`. The playground
 * never downloads at run time (no `npx` fetch: an agent that changes under you is not evidence),
 * so `distribution.npx` resolves to a package that is already installed, looked up in this order:
 *   1. `<data-dir>/node_modules` (install with `npm install --prefix <data-dir> <package>@<version>`),
 *   2. the playground's own node_modules.
 * A pinned version (`@scope/pkg@1.2.3`) must match the installed one exactly. The bin runs under the
 * bundled Node 22 when it is JavaScript (a `#!…node` script or .js/.mjs/.cjs), else as is.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CatalogEntry } from "./catalog";
import { AgentBinaryError, CatalogError } from "./errors";

/** The playground's own node_modules (packages the user added next to the playground). */
export const PROJECT_MODULES = fileURLToPath(new URL("../node_modules", import.meta.url));

export interface NpxSpec {
  /** The package name, without a version: `@google/gemini-cli`. */
  name: string;
  /** The pinned version from `name@version`, when the entry gives one. */
  version?: string;
}

const PACKAGE_RE = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/i;

/** `@scope/pkg@1.2.3` → name + version; a leading `@` is the scope, not a version. */
export function parsePackageSpec(spec: string): NpxSpec | undefined {
  const at = spec.lastIndexOf("@");
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : undefined;
  if (!PACKAGE_RE.test(name) || (version !== undefined && !/^[0-9A-Za-z.+-]+$/.test(version))) return undefined;
  return version === undefined || version === "latest" ? { name } : { name, version };
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((a) => typeof a === "string");
const stringMap = (v: unknown): v is Record<string, string> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");

/** One agents.json item in registry form (it has `distribution`), as a catalog entry. */
export function registryEntry(e: Record<string, unknown>, where: string): CatalogEntry {
  const id = e.id as string;
  const dist = e.distribution;
  if (typeof dist !== "object" || dist === null || Array.isArray(dist)) throw new CatalogError(`${where} (${id}): "distribution" must be an object.`);
  const npx = (dist as Record<string, unknown>).npx;
  if (typeof npx !== "object" || npx === null) {
    const kinds = Object.keys(dist).join(", ") || "none";
    throw new CatalogError(
      `${where} (${id}): only "distribution.npx" can run here (this entry has: ${kinds}).`,
      'Install the agent yourself and write it as { "id", "command", "args" }, or give a distribution.npx { "package", "args" }.',
    );
  }
  const n = npx as Record<string, unknown>;
  const spec = typeof n.package === "string" ? parsePackageSpec(n.package) : undefined;
  if (!spec) throw new CatalogError(`${where} (${id}): distribution.npx.package must be an npm package name, optionally with @version (got ${JSON.stringify(n.package)}).`);
  const args = n.args ?? [];
  if (!strings(args)) throw new CatalogError(`${where} (${id}): distribution.npx.args must be an array of strings.`);
  const env = n.env ?? {};
  if (!stringMap(env)) throw new CatalogError(`${where} (${id}): distribution.npx.env must be an object of strings.`);
  const name = typeof e.name === "string" ? e.name : id;
  const version = typeof e.version === "string" ? e.version : spec.version;
  return {
    id,
    label: version ? `${name} ${version}` : name,
    // Shown until resolved: what the registry names, not a path.
    command: spec.version ? `${spec.name}@${spec.version}` : spec.name,
    args,
    env,
    builtin: false,
    version,
    npx: spec,
  };
}

/** Where an npx entry's package may be installed, first match wins. */
export function npxSearchDirs(dataDir: string): string[] {
  return [path.join(dataDir, "node_modules"), PROJECT_MODULES];
}

function installHint(spec: NpxSpec, dataDir: string): string {
  return `Install it once (nothing is downloaded at run time): npm install --prefix ${JSON.stringify(dataDir)} ${spec.name}${spec.version ? `@${spec.version}` : ""}`;
}

function isJavaScript(file: string): boolean {
  if (/\.(c|m)?js$/.test(file)) return true;
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const head = Buffer.alloc(128);
    const n = readSync(fd, head, 0, head.length, 0);
    const first = head.subarray(0, n).toString("utf8").split("\n")[0];
    return first.startsWith("#!") && /\bnode\b/.test(first);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The installed package's bin for an npx entry: the bin named like the package (without scope),
 * else its only bin. `node22` when it is JavaScript (the machine's `node` may be too old; Qwen needs 22).
 */
export function resolveNpx(spec: NpxSpec, entryId: string, dataDir: string): { file: string; node22: boolean; version: string } {
  const dirs = npxSearchDirs(dataDir);
  const found = dirs.map((d) => path.join(d, spec.name)).find((dir) => existsSync(path.join(dir, "package.json")));
  if (!found) {
    throw new AgentBinaryError(`The agent "${entryId}" needs the npm package ${spec.name}${spec.version ? `@${spec.version}` : ""}, which is not installed (looked in ${dirs.join(" and ")}).`, installHint(spec, dataDir));
  }
  let pkg: { version?: unknown; bin?: unknown };
  try {
    pkg = JSON.parse(readFileSync(path.join(found, "package.json"), "utf8")) as { version?: unknown; bin?: unknown };
  } catch (error) {
    throw new AgentBinaryError(`${path.join(found, "package.json")} cannot be read: ${(error as Error).message}.`, installHint(spec, dataDir));
  }
  const installed = typeof pkg.version === "string" ? pkg.version : "?";
  if (spec.version && installed !== spec.version) {
    throw new AgentBinaryError(`The agent "${entryId}" pins ${spec.name}@${spec.version}, but ${found} holds ${installed}.`, installHint(spec, dataDir));
  }
  const bins: Record<string, string> = typeof pkg.bin === "string" ? { [spec.name.split("/").pop() as string]: pkg.bin } : stringMap(pkg.bin) ? pkg.bin : {};
  const names = Object.keys(bins);
  const short = spec.name.split("/").pop() as string;
  const bin = bins[short] ?? (names.length === 1 ? bins[names[0]] : undefined);
  if (!bin) {
    throw new AgentBinaryError(
      `${spec.name} has ${names.length === 0 ? "no bin" : `several bins (${names.join(", ")}) and none is named ${short}`}, so the playground cannot tell which one starts the agent.`,
      `Write "${entryId}" as { "id", "command": "${path.join(found, names[0] ?? "<bin>")}", "args" } in agents.json instead.`,
    );
  }
  const file = path.resolve(found, bin);
  if (!existsSync(file)) throw new AgentBinaryError(`${spec.name}'s bin ${file} does not exist.`, `Reinstall it: ${installHint(spec, dataDir).split(": ")[1]}`);
  return { file, node22: isJavaScript(file), version: installed };
}
