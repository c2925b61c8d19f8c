/**
 * `npx tsx bench/profile.ts [--size 200] [--count 100000] [--floods 3]`: a CPU profile of the relay
 * server (node --cpu-prof) while it relays the bench's flood to a `ws` client, summarized as the
 * top self-time functions. Issue #16 asked to profile before optimizing; this is how the README's
 * before/after lists were taken. The .cpuprofile stays in the printed directory for DevTools.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fixtureAgent, serverNodePid, sleep, startRun, startServer, WsClient } from "../test/fixtures/server";
import { cpuMsOf, fmt } from "./stats";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Self time per function (name + file:line), in ms, heaviest first. */
export function selfTimes(profile: CpuProfile): { name: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const totals = new Map<string, number>();
  let all = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const f = n.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\//, "").replace(/.*\/(node_modules|work\/main)\//, "")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + us);
    all += us;
  }
  return [...totals].map(([name, us]) => ({ name, ms: us / 1000, share: us / all })).sort((a, b) => b.ms - a.ms);
}

async function main(): Promise<void> {
  const size = arg("size", 200);
  const count = arg("count", 100_000);
  const floods = arg("floods", 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), "acp-relay-prof-"));
  const server = await startServer({
    agents: [fixtureAgent("bench-flood", "flood-agent.mjs")],
    extraArgs: ["--quiet"],
    // --no-prof: only the CPU time the server spends per frame (the profiler costs some itself).
    env: { NODE_OPTIONS: `${process.argv.includes("--no-prof") ? "" : `--cpu-prof --cpu-prof-dir=${dir}`} ${process.env.RELAY_NODE_OPTIONS ?? ""}`.trim() },
  });
  const client = await WsClient.connect(server, { keep: false });
  const starter = await WsClient.connect(server);
  const { runId } = await startRun(starter, "bench-flood");
  await starter.close();
  let seq = 0;
  const flood = (n: number): Promise<number> =>
    new Promise((resolve) => {
      const id = `prof-${++seq}`;
      const t0 = performance.now();
      const off = client.on((event) => {
        if (event.type !== "frames" || event.runId !== runId) return;
        for (const f of event.frames) {
          const msg = JSON.parse(f.raw) as { id?: unknown };
          if (f.kind === "response" && msg.id === id) {
            off();
            resolve(performance.now() - t0);
          }
        }
      });
      client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id, method: "_bench/flood", params: { count: n, size } }) });
    });
  const pid = serverNodePid(server);
  for (let i = 0; i < floods; i++) {
    const cpu0 = cpuMsOf(pid);
    const ms = await flood(count);
    const cpuUs = ((cpuMsOf(pid) - cpu0) * 1000) / count;
    console.log(`flood ${i + 1}: ${count} × ${size} B in ${fmt(ms, 0)} ms → ${fmt((count / ms) * 1000, 0)} frames/s; server CPU ${fmt(cpuUs, 2)} µs/frame`);
  }
  await client.close();
  await sleep(200);
  await server.stop();
  if (process.argv.includes("--no-prof")) return;
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  // tsx's own process and the server's Node process each write one; the server's is the big one.
  const busy = (p: CpuProfile): number => selfTimes(p).filter((t) => t.name !== "(idle)").reduce((a, t) => a + t.ms, 0);
  const profiles = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as CpuProfile).sort((a, b) => busy(b) - busy(a));
  if (!profiles.length) throw new Error(`no .cpuprofile in ${dir}`);
  const top = selfTimes(profiles[0]).slice(0, arg("top", 25));
  console.log(`\nTop self time, relay server (${dir}):`);
  for (const t of top) console.log(`${fmt(t.share * 100, 1).padStart(5)}%  ${fmt(t.ms, 0).padStart(6)} ms  ${t.name}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
