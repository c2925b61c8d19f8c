/**
 * Checks recorded frames against the JSON Schema the ACP SDK ships for the connection's protocol
 * version (v1 or the v2 draft; each stable, or optionally unstable), so a row can say "this agent
 * sent something the protocol does not allow" and where. The version is the caller's to say, per
 * frame (lib/version.ts ProtocolTracker): frames before `initialize` are v1, the `initialize`
 * request is in the version it asks for, everything from its answer on in the negotiated one.
 * The schema's top level is an anyOf over every message, which makes errors unreadable; instead
 * each frame is checked against the one $def its method, direction and kind select, found through
 * the schema's own `x-method`/`x-side` annotations. Ajv's raw output is then boiled down: paths
 * become JSON pointers into the whole frame, the noise of anyOf branches that were never meant is
 * dropped, and anything inside `_meta` (reserved for extensions) is never reported.
 * Isomorphic: no DOM, no node:*; the schemas come in as JSON imports.
 */
import stableSchema from "@agentclientprotocol/sdk/schema/v1/schema.json";
import unstableSchema from "@agentclientprotocol/sdk/schema/v1/schema.unstable.json";
import stableSchemaV2 from "@agentclientprotocol/sdk/schema/v2/schema.json";
import unstableSchemaV2 from "@agentclientprotocol/sdk/schema/v2/schema.unstable.json";
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import type { ProtocolVersion } from "./version";
import type { Frame } from "./wire";

export interface Violation {
  /** JSON pointer into the frame's message, e.g. `/params/cwd`. */
  path: string;
  message: string;
}

export interface SchemaCheckContext {
  /** For a response or error: the method of the request it answers. */
  requestMethod?: string;
  /** The frame's message when the caller has parsed it already (saves a second JSON.parse per frame). */
  value?: unknown;
  /** The protocol version the frame is in (default 1). */
  protocolVersion?: ProtocolVersion;
}

export type SchemaChecker = (frame: Frame, ctx: SchemaCheckContext) => Violation[];

type Role = "request" | "response" | "notification";
/** Who handles a method, per the schema: the agent, the client, or either (protocol, proxy). */
type Side = "agent" | "client" | "any";

interface MethodDef {
  def: string;
  side: Side;
}

interface SchemaDoc {
  $defs: Record<string, Record<string, unknown>>;
}

interface Flavor {
  schema: SchemaDoc;
  label: string;
  /** `${role} ${method}` → the $def that describes its params or result. */
  index: Map<string, MethodDef>;
  /** Built on first validation: adding the schema and compiling costs a few hundred ms. */
  ajv?: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

const SCHEMA_ID = "acp";

/** Non-standard integer formats from the Rust generator; checked for range, as their names promise. */
const INTEGER_FORMATS: Record<string, [number, number]> = {
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function roleOf(defName: string): Role | undefined {
  // Order matters: CancelRequestNotification ends in Notification but contains Request.
  if (defName.endsWith("Notification")) return "notification";
  if (defName.endsWith("Response")) return "response";
  if (defName.endsWith("Request")) return "request";
  return undefined;
}

function indexOf(schema: SchemaDoc): Map<string, MethodDef> {
  const index = new Map<string, MethodDef>();
  for (const [name, def] of Object.entries(schema.$defs)) {
    const method = def["x-method"];
    const side = def["x-side"];
    const role = roleOf(name);
    if (typeof method !== "string" || typeof side !== "string" || !role) continue;
    index.set(`${role} ${method}`, { def: name, side: side === "agent" || side === "client" ? side : "any" });
  }
  return index;
}

function buildAjv(schema: SchemaDoc): Ajv2020 {
  // strict:false because the schema carries x-* annotation keywords Ajv does not know;
  // discriminator:true turns oneOf-by-tag (sessionUpdate, type, outcome) into one clear error.
  const ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true, discriminator: true });
  for (const [name, [min, max]] of Object.entries(INTEGER_FORMATS)) {
    ajv.addFormat(name, { type: "number", validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
  }
  ajv.addFormat("double", { type: "number", validate: () => true });
  // Lenient on purpose: any scheme counts (file:, https:, zed:); a bare path does not.
  ajv.addFormat("uri", { type: "string", validate: (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) });
  ajv.addSchema(schema as object, SCHEMA_ID);
  return ajv;
}

const SCHEMAS: Record<`${ProtocolVersion}-${"stable" | "unstable"}`, unknown> = {
  "1-stable": stableSchema,
  "1-unstable": unstableSchema,
  "2-stable": stableSchemaV2,
  "2-unstable": unstableSchemaV2,
};
const flavors = new Map<string, Flavor>();

function makeFlavor(schema: SchemaDoc, label: string): Flavor {
  return { schema, label, index: indexOf(schema), validators: new Map() };
}

/** Called for every frame; each of the four schemas is indexed once, on first use. */
function flavor(unstable: boolean, version: ProtocolVersion = 1): Flavor {
  const key = `${version}-${unstable ? "unstable" : "stable"}` as const;
  let f = flavors.get(key);
  if (!f) {
    f = makeFlavor(SCHEMAS[key] as SchemaDoc, `the ${unstable ? "unstable" : "stable"} ACP v${version} schema`);
    flavors.set(key, f);
  }
  return f;
}

/** Every client→agent method of a version's schema (stable, or stable + unstable), requests and notifications. */
export function clientToAgentMethods(version: ProtocolVersion, unstable: boolean): { method: string; kind: "request" | "notification" }[] {
  const out: { method: string; kind: "request" | "notification" }[] = [];
  for (const [key, entry] of flavor(unstable, version).index) {
    const [role, method] = key.split(" ", 2) as [Role, string];
    // Handled by the agent (or either side, as $/cancel_request); proxy/* is between proxies, not a client's.
    if (role === "response" || method.startsWith("proxy/") || entry.side === "client") continue;
    out.push({ method, kind: role });
  }
  return out;
}

function validatorFor(f: Flavor, def: string): ValidateFunction {
  let v = f.validators.get(def);
  if (!v) {
    f.ajv ??= buildAjv(f.schema);
    const compiled = f.ajv.getSchema(`${SCHEMA_ID}#/$defs/${def}`);
    if (!compiled) throw new RangeError(`the schema has no $defs/${def}`);
    v = compiled;
    f.validators.set(def, v);
  }
  return v;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

interface Item {
  /** Ajv's instancePath of the failing keyword, before any extension below. */
  at: string;
  path: string;
  message: string;
  keyword: string;
  nullBranch: boolean;
}

function describe(e: ErrorObject): Item {
  const params = e.params as Record<string, unknown>;
  const base = { at: e.instancePath, path: e.instancePath, message: e.message ?? e.keyword, keyword: e.keyword, nullBranch: false };
  switch (e.keyword) {
    case "required":
      return { ...base, path: `${e.instancePath}/${escapePointer(String(params.missingProperty))}`, message: "required property is missing" };
    case "discriminator": {
      const tag = String(params.tag);
      const message = params.error === "mapping" ? `unknown ${tag} ${JSON.stringify(params.tagValue)}` : `${tag} must be a string`;
      return { ...base, path: `${e.instancePath}/${escapePointer(tag)}`, message };
    }
    case "enum":
      return { ...base, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "const":
      return { ...base, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case "type":
      return { ...base, nullBranch: params.type === "null" };
    default:
      return base;
  }
}

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function depth(path: string): number {
  return path === "" ? 0 : path.split("/").length - 1;
}

/**
 * Ajv reports every branch of a failed anyOf. Keep what every branch agrees on (a problem no shape
 * fixes), drop the `null` branch of nullable fields, and otherwise say "matches none" once, naming
 * the deepest complaint, which is usually the one the author meant.
 */
function condense(errors: readonly ErrorObject[]): Item[] {
  const acc: Item[] = [];
  for (const e of errors) {
    if (e.keyword !== "anyOf") {
      acc.push(describe(e));
      continue;
    }
    const root = e.instancePath;
    const group: Item[] = [];
    while (acc.length > 0 && within(acc[acc.length - 1].at, root)) group.unshift(acc.pop() as Item);
    let branches = Array.isArray(e.schema) ? e.schema.length : 2;
    const nullIndex = group.findIndex((i) => i.nullBranch && i.at === root);
    if (nullIndex !== -1) {
      group.splice(nullIndex, 1);
      branches--;
    }
    const counts = new Map<string, { item: Item; n: number }>();
    for (const item of group) {
      const key = `${item.path}\u0000${item.message}`;
      const seen = counts.get(key);
      if (seen) seen.n++;
      else counts.set(key, { item, n: 1 });
    }
    const common = [...counts.values()].filter((c) => c.n >= branches).map((c) => c.item);
    if (common.length > 0 || branches <= 1) {
      acc.push(...(common.length > 0 ? common : group));
      continue;
    }
    const deepest = group.reduce<Item | undefined>((best, item) => (!best || depth(item.path) > depth(best.path) ? item : best), undefined);
    const hint = deepest ? `; closest: ${deepest.path.slice(root.length) || "(here)"} ${deepest.message}` : "";
    acc.push({ at: root, path: root, message: `matches none of the ${branches} allowed shapes${hint}`, keyword: "anyOf", nullBranch: false });
  }
  return acc;
}

/** Inside `_meta` anything goes: the spec reserves it for extensions. */
function insideMeta(path: string): boolean {
  const segments = path.split("/");
  const at = segments.indexOf("_meta");
  return at !== -1 && at < segments.length - 1;
}

function check(f: Flavor, def: string, value: unknown, prefix: string): Violation[] {
  const validate = validatorFor(f, def);
  if (validate(value)) return [];
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const item of condense(validate.errors ?? [])) {
    const path = `${prefix}${item.path}`;
    const key = `${path}\u0000${item.message}`;
    if (insideMeta(path) || seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message: item.message });
  }
  return out;
}

/** v2 renamed the auth requests; a v1 name on a v2 connection (or back) names its counterpart. */
const LOGIN_RENAMES: Record<string, string> = { authenticate: "auth/login", logout: "auth/logout", "auth/login": "authenticate", "auth/logout": "logout" };

const CHECKED_KINDS = new Set(["request", "response", "error", "notification"]);

export function createSchemaChecker(opts: { unstable?: boolean } = {}): SchemaChecker {
  const unstable = opts.unstable === true;
  return (frame, ctx) => {
    if (!CHECKED_KINDS.has(frame.kind) || frame.dir === "sys") return [];
    let msg: Record<string, unknown>;
    if (ctx.value !== undefined) msg = ctx.value as Record<string, unknown>; // the relay parsed it already
    else {
      try {
        msg = JSON.parse(frame.raw) as Record<string, unknown>;
      } catch {
        return []; // The relay already marks the line malformed; a schema adds nothing.
      }
    }
    const version = ctx.protocolVersion ?? 1;
    const f = flavor(unstable, version);
    const out: Violation[] = [];
    if (msg.jsonrpc !== "2.0") out.push({ path: "/jsonrpc", message: 'must be "2.0"' });

    if (frame.kind === "error") return [...out, ...check(f, "Error", msg.error, "/error")];

    if (frame.kind === "response") {
      const method = ctx.requestMethod ?? frame.method;
      const entry = method ? f.index.get(`response ${method}`) : undefined;
      // An answer to an unknown or extension method has no schema; its request was already flagged.
      return entry ? [...out, ...check(f, entry.def, msg.result, "/result")] : out;
    }

    const method = typeof msg.method === "string" ? msg.method : frame.method;
    if (!method) return out;
    const role: Role = frame.kind === "request" ? "request" : "notification";
    const handler: Side = frame.dir === "out" ? "agent" : "client";
    const sender = frame.dir === "out" ? "client" : "agent";
    const entry = f.index.get(`${role} ${method}`);
    if (!entry) {
      if (method.startsWith("_")) return out; // Extension methods are the spec's escape hatch.
      const otherRole = role === "request" ? "notification" : "request";
      if (f.index.has(`${otherRole} ${method}`)) return [...out, { path: "/id", message: `${method} is a ${otherRole} in ACP, not a ${role}` }];
      const onlyUnstable = !unstable && flavor(true, version).index.has(`${role} ${method}`);
      const other: ProtocolVersion = version === 2 ? 1 : 2;
      const otherVersion = !onlyUnstable && flavor(true, other).index.has(`${role} ${method}`);
      return [
        ...out,
        {
          path: "/method",
          message: onlyUnstable
            ? `${method} is only in the unstable ACP schema (v${version}); turn on unstable validation to check it`
            : otherVersion
              ? `${method} is an ACP v${other} method, but this connection speaks v${version}${LOGIN_RENAMES[method] ? ` (v${version} uses ${LOGIN_RENAMES[method]})` : ""}`
              : `${method} is not a method of ${f.label}; extension methods must start with "_"`,
        },
      ];
    }
    if (entry.side !== "any" && entry.side !== handler) {
      return [...out, { path: "/method", message: `${method} is sent by the ${entry.side === "agent" ? "client" : "agent"}, not by the ${sender}` }];
    }
    // JSON-RPC lets params be omitted; ACP methods that need fields then report them as missing.
    return [...out, ...check(f, entry.def, "params" in msg ? msg.params : {}, "/params")];
  };
}
