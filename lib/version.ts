/**
 * Version comparison for agent builds ("0.28.0", "v2.1.0", "0.29.0-beta.1"). Known-issue rules
 * name version ranges, and they must run in the browser as well as the relay, so the comparison
 * lives here, isomorphic, and is the one copy the rest of lib/ uses.
 */

export interface VersionRange {
  lt?: string;
  lte?: string;
  gt?: string;
  gte?: string;
  eq?: string;
}

interface Parsed {
  release: number[];
  pre: string[];
}

function parseVersion(version: string): Parsed {
  const text = version.trim().replace(/^v/i, "").split("+")[0];
  const dash = text.indexOf("-");
  const core = dash >= 0 ? text.slice(0, dash) : text;
  const pre = dash >= 0 ? text.slice(dash + 1).split(".").filter(Boolean) : [];
  return { release: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre };
}

function comparePre(a: string[], b: string[]): number {
  // A release sorts after its own pre-releases: 0.29.0-beta < 0.29.0.
  if (a.length === 0 || b.length === 0) return (a.length === 0 ? 1 : 0) - (b.length === 0 ? 1 : 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined) return -1;
    if (b[i] === undefined) return 1;
    const na = /^\d+$/.test(a[i]) ? Number(a[i]) : undefined;
    const nb = /^\d+$/.test(b[i]) ? Number(b[i]) : undefined;
    if (na !== undefined && nb !== undefined) {
      if (na !== nb) return na - nb;
    } else if (na !== undefined || nb !== undefined) {
      return na !== undefined ? -1 : 1;
    } else if (a[i] !== b[i]) {
      return a[i] < b[i] ? -1 : 1;
    }
  }
  return 0;
}

/** Negative when a < b, zero when equal, positive when a > b. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < Math.max(pa.release.length, pb.release.length); i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  return comparePre(pa.pre, pb.pre);
}

/** Every bound given must hold; an empty range matches any version. */
export function versionInRange(version: string, range: VersionRange): boolean {
  const c = (bound: string): number => compareVersions(version, bound);
  if (range.eq !== undefined && c(range.eq) !== 0) return false;
  if (range.lt !== undefined && !(c(range.lt) < 0)) return false;
  if (range.lte !== undefined && !(c(range.lte) <= 0)) return false;
  if (range.gt !== undefined && !(c(range.gt) > 0)) return false;
  if (range.gte !== undefined && !(c(range.gte) >= 0)) return false;
  return true;
}

/** "<= 0.28.0", "0.22.0 … < 0.29.0": a range as people write it, for evidence lines. */
export function describeRange(range: VersionRange): string {
  const parts: string[] = [];
  if (range.eq !== undefined) parts.push(`= ${range.eq}`);
  if (range.gt !== undefined) parts.push(`> ${range.gt}`);
  if (range.gte !== undefined) parts.push(`>= ${range.gte}`);
  if (range.lt !== undefined) parts.push(`< ${range.lt}`);
  if (range.lte !== undefined) parts.push(`<= ${range.lte}`);
  return parts.length > 0 ? parts.join(", ") : "any version";
}

// ---------------------------------------------------------------------------------------------
// ACP protocol versions. Unlike agent builds, these are single integers: the client asks for one
// in `initialize`, the agent answers with the one it speaks, and both then speak the answer.

/** The ACP protocol versions the playground speaks: v1 and the v2 draft the SDK ships. */
export type ProtocolVersion = 1 | 2;
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = [1, 2];

export function asProtocolVersion(value: unknown): ProtocolVersion | undefined {
  return value === 1 || value === 2 ? value : undefined;
}

/** v2 renamed the auth requests: `authenticate` became `auth/login`, `logout` became `auth/logout`. */
export function authVerbs(version: ProtocolVersion): { login: "authenticate" | "auth/login"; logout: "logout" | "auth/logout" } {
  return version === 2 ? { login: "auth/login", logout: "auth/logout" } : { login: "authenticate", logout: "logout" };
}

/** Every method name that logs in or out, in either version: views that follow auth read both. */
export const LOGIN_METHODS: readonly string[] = ["authenticate", "auth/login"];
export const LOGOUT_METHODS: readonly string[] = ["logout", "auth/logout"];

/**
 * Which version each message of one connection is in, fed one message at a time in wire order.
 * Before any `initialize` a connection speaks v1. The `initialize` request is in the version it
 * asks for; its answer in the version the agent answers with, which from then on is the
 * connection's; an answer with a version the playground does not speak leaves the requested one.
 */
export class ProtocolTracker {
  private speaking: ProtocolVersion = 1;

  get current(): ProtocolVersion {
    return this.speaking;
  }

  /** `method` is the request's method, also for a response or error (the correlated one). */
  versionOf(dir: string, kind: string, method: string | undefined, value: unknown): ProtocolVersion {
    if (method !== "initialize") return this.speaking;
    const msg = typeof value === "object" && value !== null ? (value as { params?: { protocolVersion?: unknown }; result?: { protocolVersion?: unknown } }) : {};
    if (dir === "out" && kind === "request") {
      this.speaking = asProtocolVersion(msg.params?.protocolVersion) ?? 1;
    } else if (dir === "in" && kind === "response") {
      this.speaking = asProtocolVersion(msg.result?.protocolVersion) ?? this.speaking;
    }
    return this.speaking;
  }
}
