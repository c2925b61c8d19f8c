/**
 * Links that open a given run and frame: `#run=run-3&frame=12` (or the same pair in the query,
 * `?run=run-3&frame=12`). The fragment is the form the page writes, because it never reaches the
 * server and survives the token redirect (a 303 without a fragment keeps the one the browser had);
 * the query form is accepted because people type it. Pure, so tests and the browser share it.
 */

export interface DeepLink {
  runId?: string;
  /** A frame's seq within that run. */
  frameSeq?: number;
}

/** Run ids are the relay's own (`run-12`); anything else in a pasted link is ignored, never sent. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SEQ = /^\d{1,9}$/;

function fromParams(params: URLSearchParams): DeepLink {
  const link: DeepLink = {};
  const run = params.get("run");
  if (run !== null && RUN_ID.test(run)) link.runId = run;
  const frame = params.get("frame");
  if (frame !== null && SEQ.test(frame)) link.frameSeq = Number(frame);
  return link;
}

function isEmpty(link: DeepLink): boolean {
  return link.runId === undefined && link.frameSeq === undefined;
}

/**
 * Read a link from a location's `hash` and `search` (either may be "" or carry a leading `#`/`?`).
 * The fragment wins when it names anything; invalid values are dropped one by one.
 */
export function parseDeepLink(hash: string, search = ""): DeepLink | undefined {
  const fromHash = fromParams(new URLSearchParams(hash.replace(/^#/, "")));
  if (!isEmpty(fromHash)) return fromHash;
  const fromQuery = fromParams(new URLSearchParams(search.replace(/^\?/, "")));
  return isEmpty(fromQuery) ? undefined : fromQuery;
}

/** The fragment for a link, `#run=…&frame=…`, or "" when it names nothing. */
export function formatDeepLink(link: DeepLink): string {
  const params = new URLSearchParams();
  if (link.runId !== undefined && RUN_ID.test(link.runId)) params.set("run", link.runId);
  if (link.frameSeq !== undefined && Number.isInteger(link.frameSeq) && link.frameSeq >= 0) params.set("frame", String(link.frameSeq));
  const text = params.toString();
  return text ? `#${text}` : "";
}

/**
 * The shareable address of a link on this page: origin and path, the query without `token`,
 * `run` and `frame` (the fragment carries those), then the fragment. The token never goes in.
 */
export function deepLinkUrl(location: { origin: string; pathname: string; search: string }, link: DeepLink): string {
  const query = new URLSearchParams(location.search.replace(/^\?/, ""));
  for (const name of ["token", "run", "frame"]) query.delete(name);
  const rest = query.toString();
  return `${location.origin}${location.pathname}${rest ? `?${rest}` : ""}${formatDeepLink(link)}`;
}
