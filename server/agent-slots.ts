/**
 * The relay's budget of agent processes (--max-agents). Every agent process the relay spawns — a
 * listed run (also one still dying after a kill), a matrix probe, an advertisement-diff scratch
 * run, a profile check — holds one slot from before its spawn until its process is gone, so no
 * burst of commands can fill the machine with agents (the review saw 38 at once from 50 starts).
 * A user's click is refused at once with the reason; parts of a bounded job (matrix cells,
 * scratch runs) wait their turn instead, cancellably.
 */
import { TooManyAgentsError } from "./errors";

export type SlotKind = "run" | "matrix" | "scratch" | "check";

const KIND_LABEL: Record<SlotKind, [string, string]> = {
  run: ["run", "runs"],
  matrix: ["matrix probe", "matrix probes"],
  scratch: ["scratch run", "scratch runs"],
  check: ["profile check", "profile checks"],
};

/** One held slot; release() is idempotent, so every exit path may call it. */
export interface AgentSlot {
  readonly kind: SlotKind;
  release(): void;
}

interface Waiter {
  kind: SlotKind;
  grant: (slot: AgentSlot) => void;
}

export class AgentSlots {
  private readonly held = new Map<SlotKind, number>();
  private readonly waiters: Waiter[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError("max must be at least 1");
  }

  get inUse(): number {
    let n = 0;
    for (const v of this.held.values()) n += v;
    return n;
  }

  /** "3 agent processes are running (1 run, 2 matrix probes)". */
  describe(): string {
    const parts = [...this.held].filter(([, n]) => n > 0).map(([kind, n]) => `${n} ${KIND_LABEL[kind][n === 1 ? 0 : 1]}`);
    const n = this.inUse;
    return `${n} agent process${n === 1 ? " is" : "es are"} running${parts.length ? ` (${parts.join(", ")})` : ""}`;
  }

  /** Throw unless a slot would be free once `leaving` processes (ones about to be replaced) are gone. */
  check(leaving = 0): void {
    if (this.inUse - leaving >= this.max) throw this.refusal();
  }

  /** Take a slot now, or throw TooManyAgentsError saying what holds them and how to allow more. */
  take(kind: SlotKind): AgentSlot {
    if (this.inUse >= this.max) throw this.refusal();
    return this.grant(kind);
  }

  /** Wait (first come, first served) for a slot; rejects when `signal` aborts or after `timeoutMs`. */
  wait(kind: SlotKind, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AgentSlot> {
    if (this.inUse < this.max && this.waiters.length === 0) return Promise.resolve(this.grant(kind));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        kind,
        grant: (slot) => {
          done();
          resolve(slot);
        },
      };
      const onAbort = (): void => {
        done();
        reject(new TooManyAgentsError("Cancelled while waiting for a free agent slot."));
      };
      if (opts.signal?.aborted) {
        reject(new TooManyAgentsError("Cancelled while waiting for a free agent slot."));
        return;
      }
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          done();
          reject(this.refusal());
        }, opts.timeoutMs);
        timer.unref();
      }
      this.waiters.push(waiter);
    });
  }

  private grant(kind: SlotKind): AgentSlot {
    this.held.set(kind, (this.held.get(kind) ?? 0) + 1);
    let released = false;
    return {
      kind,
      release: () => {
        if (released) return;
        released = true;
        this.held.set(kind, (this.held.get(kind) ?? 1) - 1);
        const next = this.waiters[0];
        if (next && this.inUse < this.max) next.grant(this.grant(next.kind));
      },
    };
  }

  private refusal(): TooManyAgentsError {
    return new TooManyAgentsError(
      `${this.describe()}; the limit is ${this.max}, so no other agent is started.`,
      "Wait for them to finish, kill the agent or cancel the matrix — or restart the server with --max-agents N to allow more.",
    );
  }
}
