/**
 * `npm start` runs this first: build the Next.js UI when there is no build yet or a source file is
 * newer than it, so `npm install && npm start` works on a fresh clone without a separate step.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const buildId = path.join(root, ".next", "BUILD_ID");

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const sources = ["app", "components", "lib"].map((d) => path.join(root, d)).filter(existsSync);
const sourceTime = Math.max(...sources.map(newestMtime), ...["next.config.ts", "package.json"].map((f) => statSync(path.join(root, f)).mtimeMs));
if (existsSync(buildId) && statSync(buildId).mtimeMs >= sourceTime) process.exit(0);

console.log("Building the UI (next build); this happens once after install or a source change…");
// Next's build telemetry posts to telemetry.nextjs.org: a local tool (and its tests) reaches no one.
const result = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
process.exit(result.status ?? 1);
