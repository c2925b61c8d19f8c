/**
 * `npm test`: the unit tests (Node's test runner through tsx), then the Playwright suite against
 * the real bundled agents, then one closing line `N passed, N failed` that sums both, so CI and
 * humans read a single verdict. Exits non-zero when anything failed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const only = process.argv[2]; // "unit" | "e2e" | undefined

let passed = 0;
let failed = 0;
let status = 0;

/**
 * Unit test files run three at a time on two cores: most of a server suite's time is waiting (on
 * agents, the relay's timers, sockets), so a third file fills CPU the other two leave idle. Measured
 * on this 2-core machine, whole unit set, same code: 209 s at 2, 191 s at 3.
 */
const UNIT_CONCURRENCY = 3;

if (only !== "e2e") {
  const files = readdirSync(path.join(root, "test")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => path.join("test", f));
  const unit = spawnSync(bin("tsx"), ["--test", "--test-reporter=spec", `--test-concurrency=${UNIT_CONCURRENCY}`, ...files], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(unit.stdout);
  const pass = /ℹ pass (\d+)/.exec(unit.stdout);
  const fail = /ℹ fail (\d+)/.exec(unit.stdout);
  passed += pass ? Number(pass[1]) : 0;
  failed += fail ? Number(fail[1]) : 0;
  if (unit.status !== 0) {
    status = 1;
    if (!fail || Number(fail[1]) === 0) failed += 1; // a crash of the runner itself counts as a failure
  }
}

if (only !== "unit") {
  const report = path.join(root, "test-results", "e2e.json");
  rmSync(report, { force: true });
  const e2e = spawnSync(bin("playwright"), ["test"], { cwd: root, stdio: "inherit" });
  if (existsSync(report)) {
    const stats = JSON.parse(readFileSync(report, "utf8")).stats ?? {};
    passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    failed += stats.unexpected ?? 0;
  }
  if (e2e.status !== 0) {
    status = 1;
    if (!existsSync(report)) failed += 1;
  }
}

console.log(`\nunit + e2e: ${passed} passed, ${failed} failed`);
process.exit(status || (failed > 0 ? 1 : 0));
