/**
 * Pairs each JSON-RPC answer with its request. Ids are scoped by direction: a client request is
 * answered by the agent and vice versa, and both sides may use id 0 at the same time. Also the
 * source of truth for "what is still outstanding", which the relay needs when an agent dies.
 */
import type { Direction } from "./wire";

export interface PendingRequest {
  seq: number;
  t: number;
  method: string;
  id: string;
  dir: Direction;
}

export interface PairResult {
  requestSeq: number;
  method: string;
  latencyMs: number;
}

export class Correlator {
  /** key = `${requestDir}|${idKey}` */
  private readonly pending = new Map<string, PendingRequest>();
  /** Outstanding per direction, kept as requests come and go: count() runs for every frame. */
  private readonly counts = { in: 0, out: 0, sys: 0 };

  /** Record a request. Returns the seq of an earlier request still pending under the same id, if any. */
  request(dir: Direction, id: string, seq: number, t: number, method: string): number | undefined {
    const key = `${dir}|${id}`;
    const clash = this.pending.get(key);
    if (!clash) this.counts[dir]++;
    this.pending.set(key, { seq, t, method, id, dir });
    return clash?.seq;
  }

  /** Pair an answer travelling in `dir`; it answers a request that travelled the other way. */
  answer(dir: Direction, id: string, t: number): PairResult | undefined {
    const requestDir: Direction = dir === "in" ? "out" : "in";
    const key = `${requestDir}|${id}`;
    const req = this.pending.get(key);
    if (!req) return undefined;
    this.pending.delete(key);
    this.counts[requestDir]--;
    return { requestSeq: req.seq, method: req.method, latencyMs: Math.round((t - req.t) * 1000) / 1000 };
  }

  /** Look up without consuming, e.g. to find the method an incoming request used. */
  peek(requestDir: Direction, id: string): PendingRequest | undefined {
    return this.pending.get(`${requestDir}|${id}`);
  }

  outstanding(): PendingRequest[] {
    return [...this.pending.values()].sort((a, b) => a.seq - b.seq);
  }

  count(dir: Direction): number {
    return this.counts[dir];
  }

  /** Forget everything (the process is gone); returns what was outstanding. */
  drain(): PendingRequest[] {
    const all = this.outstanding();
    this.pending.clear();
    this.counts.in = this.counts.out = this.counts.sys = 0;
    return all;
  }
}
