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
