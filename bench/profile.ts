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

/** CPU ms per thread of a process: the main thread (tid = pid) and the rest summed by thread name. */
function threadCpuMs(pid: number): { main: number; helpers: Map<string, number> } {
  const helpers = new Map<string, number>();
  let main = 0;
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main: Number.NaN, helpers };
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      if (Number(tid) === pid) main = ms;
      else {
        // "V8 DefaultWorke", "libuv-worker", "node" …: numbered alike threads are summed.
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim().replace(/[\s\d]+$/, "");
        helpers.set(name, (helpers.get(name) ?? 0) + ms);
      }
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { main, helpers };
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
    const threads0 = threadCpuMs(pid);
    const ms = await flood(count);
    const cpuUs = ((cpuMsOf(pid) - cpu0) * 1000) / count;
    // The process figure includes V8's GC helper threads and libuv's pool; the main thread's share says which one to cut.
    const threads1 = threadCpuMs(pid);
    const main = ((threads1.main - threads0.main) * 1000) / count;
    const helpers = [...threads1.helpers].map(([name, v]) => [name, ((v - (threads0.helpers.get(name) ?? 0)) * 1000) / count] as const).filter(([, v]) => v >= 0.05);
    console.log(
      `flood ${i + 1}: ${count} × ${size} B in ${fmt(ms, 0)} ms → ${fmt((count / ms) * 1000, 0)} frames/s; server CPU ${fmt(cpuUs, 2)} µs/frame (main thread ${fmt(main, 2)}${helpers.map(([n, v]) => `, ${n} ${fmt(v, 2)}`).join("")})`,
    );
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
