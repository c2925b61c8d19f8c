/**
 * A method the schema does not list is not a violation once the agent has served it. The schema
 * check runs when a request is recorded, before any answer: it can only say "not in the stable
 * schema". When the answer comes back as a result, the relay (server/run.ts) and the tab's store
 * (lib/store.ts) both move that method-level complaint from `violations` (schema ✗) to
 * `schemaNotes` (info): Claude, Gemini and Qwen all serve `session/set_model`, which no v1 schema
 * has. Field-level problems stay violations. Light and isomorphic (no Ajv) so the browser can use it.
 */
import type { Frame } from "./wire";

/** The checker's method-level wording: lib/schema-check.ts emits exactly these for an unlisted method. */
const UNLISTED = /is only in the unstable ACP schema|is not a method of the (stable|unstable) ACP v[12] schema/;

export function isUnlistedMethod(v: { path: string; message: string }): boolean {
  return v.path === "/method" && UNLISTED.test(v.message);
}

/** After `answer` paired with `request`: a successful answer turns "unlisted method" into info. */
export function settleServedMethod(request: Frame, answer: Frame): void {
  if (answer.kind !== "response" || request.kind !== "request" || !request.violations?.length) return;
  const unlisted = request.violations.filter(isUnlistedMethod);
  if (unlisted.length === 0) return;
  const rest = request.violations.filter((v) => !isUnlistedMethod(v));
  // The checker names the connection's version: "ACP v2 schema" or "unstable ACP schema (v2)".
  const named = /ACP v(\d) schema|\(v(\d)\)/.exec(unlisted[0].message);
  const version = named?.[1] ?? named?.[2] ?? "1";
  if (rest.length > 0) request.violations = rest;
  else delete request.violations;
  request.schemaNotes = [
    ...(request.schemaNotes ?? []),
    {
      path: "/method",
      message: `${request.method ?? "this method"} is not in the stable ACP v${version} schema, but the agent served it (answer #${answer.seq}): an extension or a method from an older or unstable schema. Info, not a violation.`,
    },
  ];
}
