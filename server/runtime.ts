/**
 * Finds the Node 22 runtime that the `node` npm package installs, because Kimi Code needs
 * Node >= 22.19 and the machine's own Node may be older. Never falls back silently to a wrong
 * runtime: a missing or old binary becomes a RuntimeMissingError with a fix.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { compareVersions } from "../lib/version";
import { RuntimeMissingError } from "./errors";

const require = createRequire(import.meta.url);

export interface NodeRuntime {
  path: string;
  version: string;
}

let cached: NodeRuntime | RuntimeMissingError | undefined;

export const KIMI_MIN_NODE = "22.19.0";

/** Resolve the bundled Node runtime once; ACP_PLAYGROUND_NODE overrides it (for tests of the error path). */
export function bundledNode(): NodeRuntime {
  if (cached === undefined) cached = probe();
  if (cached instanceof RuntimeMissingError) throw cached;
  return cached;
}

function probe(): NodeRuntime | RuntimeMissingError {
  let candidate = process.env.ACP_PLAYGROUND_NODE;
  if (!candidate) {
    try {
      candidate = path.join(path.dirname(require.resolve("node/package.json")), "bin", "node");
    } catch {
      return new RuntimeMissingError(
        "The bundled Node 22 runtime (npm package `node`) is not installed.",
        "Run `npm install` in the playground folder; Kimi Code needs Node >= 22.19 and the playground brings it through npm.",
      );
    }
  }
  if (!existsSync(candidate)) {
    return new RuntimeMissingError(
      `The Node runtime ${candidate} does not exist.`,
      "Run `npm install` again (the `node` package puts a Node 22 binary in node_modules/node/bin).",
    );
  }
  let version: string;
  try {
    version = execFileSync(candidate, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch (error) {
    return new RuntimeMissingError(
      `The Node runtime ${candidate} does not run: ${(error as Error).message}`,
      "Reinstall with `npm install`; the binary may be for another platform.",
    );
  }
  if (compareVersions(version, KIMI_MIN_NODE) < 0) {
    return new RuntimeMissingError(
      `The Node runtime ${candidate} is ${version}, but Kimi Code needs >= ${KIMI_MIN_NODE}.`,
      "Run `npm install` so the pinned `node` package (22.x) is used, or set ACP_PLAYGROUND_NODE to a Node >= 22.19 binary.",
    );
  }
  return { path: candidate, version };
}
