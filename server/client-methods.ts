/**
 * The client half of ACP that the relay serves for an agent: permission requests under a per-run
 * policy, fs/read_text_file and fs/write_text_file confined to each session's directories, and
 * terminal/* backed by real processes. It learns what it may serve by watching the conversation
 * (the capabilities the client advertised in `initialize`, the cwd of every session), so the user
 * decides from the browser and the relay enforces it. Every refusal is a JSON-RPC error with data
 * that says why, because "the agent got -32603" explains nothing. Files are opened beneath the
 * session's directory without following symlinks (server/beneath.ts), so a path checked here
 * cannot be swapped for a symlink before it is used, and only regular files are read or written.
 * A replayed trace is served nothing that touches the machine (server/replay-guard.ts).
 * `elicitation/create` is left to the user (a form or a URL card) when its mode was advertised;
 * the answer the browser sends is checked against the request's schema here before it is written.
 */
import type { Stats } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { checkContent, type ElicitationAction, type ElicitationRequest, elicitationResult, parseElicitation } from "../lib/elicitation";
import { idKey } from "../lib/jsonrpc";
import type { Direction, FrameKind, PermissionPolicy } from "../lib/wire";
import { BeneathError, openBeneath, overwrite, readCapped } from "./beneath";
import { TerminalManager, type TerminalEvents, type TerminalManagerOptions } from "./client-terminals";
import { ClientMethodError } from "./errors";
import { type ReplayRecording, servedForReplay } from "./replay-guard";
import type { ClientMethodOutcome } from "./run";

export type { PermissionPolicy } from "../lib/wire";

export interface ClientMethodEvents extends TerminalEvents {
  /** A write the agent made, with the previous text (null: the file is new) for a diff. */
  fsWrite(e: { sessionId: string; path: string; oldText: string | null; newText: string }): void;
}

export interface ClientMethodServerOptions {
  redact: (text: string) => string;
  events: ClientMethodEvents;
  /** Limits of the terminal manager (tests shrink them). */
  terminals?: Omit<TerminalManagerOptions, "redact" | "events">;
  /**
   * Set when the agent plays back a recorded trace (from the catalog entry, never from the trace
   * or the browser): then nothing but permission requests is served, each refusal visible.
   */
  replay?: ReplayRecording;
}

/** What the client said it supports in `initialize`; anything not advertised is not served. */
export interface AdvertisedCapabilities {
  readTextFile: boolean;
  writeTextFile: boolean;
  terminal: boolean;
  /** clientCapabilities.elicitation.form / .url were sent (`{}` advertises; absent or null does not). */
  elicitationForm: boolean;
  elicitationUrl: boolean;
}

/** Elicitations waiting for the user's answer are remembered at most this many at once (oldest go first). */
const MAX_OPEN_ELICITATIONS = 64;

interface SessionRoots {
  cwd: string;
  additionalDirectories: string[];
}

/** Files larger than this are refused: the answer is one JSON-RPC line the relay must hold. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

const SESSION_OPENERS = new Set(["session/new", "session/load", "session/resume", "session/fork"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** -32602 for a malformed parameter: data `{field, reason}`. */
function invalid(field: string, reason: string): ClientMethodError {
  return new ClientMethodError(-32602, `Invalid params: ${reason}`, { field, reason });
}

/** -32602 for a path the relay will not touch: data `{path, reason, …}`. */
function refusePath(requested: string, reason: string, extra: Record<string, unknown> = {}): ClientMethodError {
  return new ClientMethodError(-32602, `Invalid params: ${reason}`, { path: requested, reason, ...extra });
}

function requireString(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (typeof value !== "string" || value.length === 0) throw invalid(key, `"${key}" must be a non-empty string`);
  return value;
}

/** An optional non-negative integer; ACP allows null for "absent". */
function optionalCount(params: Record<string, unknown>, key: string, min: number): number | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw invalid(key, `"${key}" must be an integer ≥ ${min}`);
  return value;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export class ClientMethodServer {
  private capabilities: AdvertisedCapabilities = { readTextFile: false, writeTextFile: false, terminal: false, elicitationForm: false, elicitationUrl: false };
  /** Open elicitation/create requests by id key, as parsed when they arrived: the answer is checked against them. */
  private readonly elicitations = new Map<string, ElicitationRequest>();
  private readonly sessions = new Map<string, SessionRoots>();
  /** Outgoing session/new|fork requests by id key, until their response names the session. */
  private readonly opening = new Map<string, SessionRoots>();
  private policy: PermissionPolicy = "ask";
  private readonly terminals: TerminalManager;

  constructor(private readonly opts: ClientMethodServerOptions) {
    this.terminals = new TerminalManager({ ...opts.terminals, redact: opts.redact, events: opts.events });
  }

  get permissionPolicy(): PermissionPolicy {
    return this.policy;
  }

  setPermissionPolicy(policy: PermissionPolicy): void {
    this.policy = policy;
  }

  /** What the client advertised, as last seen; for the UI and tests. */
  get advertised(): Readonly<AdvertisedCapabilities> {
    return { ...this.capabilities };
  }

  /** The session ids whose directories are known, with those directories. */
  get knownSessions(): ReadonlyMap<string, Readonly<SessionRoots>> {
    return this.sessions;
  }

  /** Terminals currently held for the agent. */
  get terminalCount(): number {
    return this.terminals.size;
  }

  /** Learn capabilities and session directories from the recorded traffic. */
  observe(dir: Direction, kind: FrameKind, value: unknown): void {
    if (!isRecord(value)) return;
    if (dir === "out" && kind === "request" && typeof value.method === "string") {
      const params = isRecord(value.params) ? value.params : {};
      if (value.method === "initialize") {
        const caps = isRecord(params.clientCapabilities) ? params.clientCapabilities : {};
        const fs = isRecord(caps.fs) ? caps.fs : {};
        const elicitation = isRecord(caps.elicitation) ? caps.elicitation : {};
        this.capabilities = {
          readTextFile: fs.readTextFile === true,
          writeTextFile: fs.writeTextFile === true,
          terminal: caps.terminal === true,
          elicitationForm: isRecord(elicitation.form),
          elicitationUrl: isRecord(elicitation.url),
        };
        return;
      }
      if (SESSION_OPENERS.has(value.method) && typeof params.cwd === "string") {
        const roots: SessionRoots = {
          cwd: params.cwd,
          additionalDirectories: Array.isArray(params.additionalDirectories) ? params.additionalDirectories.filter((d): d is string => typeof d === "string") : [],
        };
        // load/resume name the session already, and an agent may read files while replaying;
        // new/fork learn their id from the response.
        if ((value.method === "session/load" || value.method === "session/resume") && typeof params.sessionId === "string") this.sessions.set(params.sessionId, roots);
        else {
          const key = idKey(value.id);
          if (key !== undefined) this.opening.set(key, roots);
        }
      }
      return;
    }
    if (dir === "in" && (kind === "response" || kind === "error")) {
      const key = idKey(value.id);
      const roots = key === undefined ? undefined : this.opening.get(key);
      if (!roots || key === undefined) return;
      this.opening.delete(key);
      const sessionId = isRecord(value.result) ? value.result.sessionId : undefined;
      if (kind === "response" && typeof sessionId === "string") this.sessions.set(sessionId, roots);
    }
  }

  /** Answer one agent→client request; `{pending:true}` leaves it to the user. */
  serve(method: string, params: unknown, id: string): ClientMethodOutcome | Promise<ClientMethodOutcome> {
    // A trace is evidence, not a program: before any capability or session check.
    if (this.opts.replay && !servedForReplay(method)) return this.opts.replay.refuse(method, id);
    try {
      const p = isRecord(params) ? params : {};
      switch (method) {
        case "session/request_permission":
          return this.permission(p);
        case "fs/read_text_file":
          this.gate(method, this.capabilities.readTextFile, "fs.readTextFile");
          return settle(this.readTextFile(p));
        case "fs/write_text_file":
          this.gate(method, this.capabilities.writeTextFile, "fs.writeTextFile");
          return settle(this.writeTextFile(p));
        case "terminal/create":
          this.gate(method, this.capabilities.terminal, "terminal");
          return settle(this.createTerminal(p));
        case "terminal/output":
        case "terminal/wait_for_exit":
        case "terminal/kill":
        case "terminal/release":
          this.gate(method, this.capabilities.terminal, "terminal");
          return this.terminalCall(method, p);
        case "elicitation/create":
          return this.elicitation(p, id);
        default:
          return {
            error: {
              code: -32601,
              message: "Method not found",
              data: { method, note: "ACP Playground does not serve this client method; the relay answered automatically." },
            },
          };
      }
    } catch (error) {
      return toOutcome(error);
    }
  }

  /** The run ended: kill every terminal (and what escaped their groups); settles after the sweep. */
  dispose(): Promise<void> {
    return this.terminals.dispose();
  }

  private gate(method: string, advertised: boolean, capability: string): void {
    if (advertised) return;
    throw new ClientMethodError(-32601, "Method not found", {
      method,
      note: `The client did not advertise clientCapabilities.${capability} in initialize, so the relay does not serve ${method}. Enable it in the client capabilities and restart the agent.`,
    });
  }

  /**
   * A form or URL elicitation whose mode the client advertised waits for the user. A mode this
   * client does not know waits too, flagged: the user can only decline or cancel it (the schema:
   * it MUST NOT be rendered as a known mode). Without any elicitation capability nothing is served.
   */
  private elicitation(p: Record<string, unknown>, id: string): ClientMethodOutcome {
    const request = parseElicitation(p);
    const c = this.capabilities;
    if (request.mode === "form") this.gate("elicitation/create", c.elicitationForm, "elicitation.form");
    else if (request.mode === "url") this.gate("elicitation/create", c.elicitationUrl, "elicitation.url");
    else this.gate("elicitation/create", c.elicitationForm || c.elicitationUrl, "elicitation");
    if (this.elicitations.size >= MAX_OPEN_ELICITATIONS) {
      const oldest = this.elicitations.keys().next().value;
      if (oldest !== undefined) this.elicitations.delete(oldest);
    }
    this.elicitations.set(id, request);
    return { pending: true };
  }

  /** The open elicitation with this id (undefined once answered or never asked). */
  openElicitation(id: string): ElicitationRequest | undefined {
    return this.elicitations.get(id);
  }

  /**
   * The JSON-RPC result for the user's answer to elicitation `id`: accept carries content only for
   * a form, checked against its schema; an unknown mode can only be declined or cancelled. Throws
   * ClientMethodError (-32602 with the problems) when the answer does not fit; the request stays open.
   */
  answerElicitation(id: string, action: ElicitationAction, content: unknown): Record<string, unknown> {
    const request = this.elicitations.get(id);
    if (!request) throw new ClientMethodError(-32602, `No open elicitation with id ${id}.`, { id });
    let result: Record<string, unknown>;
    if (action !== "accept") result = elicitationResult(action);
    else if (request.mode === "unknown") throw new ClientMethodError(-32602, `The elicitation's mode "${request.rawMode}" is unknown to this client: it can only be declined or cancelled.`, { id, mode: request.rawMode });
    else if (request.mode === "url") result = elicitationResult("accept");
    else {
      const checked = checkContent(request.form, content ?? {}, { checkPattern: false });
      if (!checked.ok) throw new ClientMethodError(-32602, `The answer does not fit the form: ${Object.entries(checked.problems).map(([k, v]) => `${k || "content"} ${v}`).join("; ")}.`, { id, problems: checked.problems });
      result = elicitationResult("accept", checked.content);
    }
    this.elicitations.delete(id);
    return result;
  }

  private permission(p: Record<string, unknown>): ClientMethodOutcome {
    if (this.policy === "ask") return { pending: true };
    const options = Array.isArray(p.options) ? p.options.filter(isRecord) : [];
    const prefix = this.policy === "allow" ? "allow" : "reject";
    const matching = options.filter((o) => typeof o.kind === "string" && o.kind.startsWith(prefix) && typeof o.optionId === "string");
    // "once" first: a standing policy should not make the agent remember a blanket answer.
    const chosen = matching.find((o) => o.kind === `${prefix}_once`) ?? matching[0];
    if (!chosen) return { pending: true };
    return { result: { outcome: { outcome: "selected", optionId: chosen.optionId } } };
  }

  private session(sessionId: string): SessionRoots {
    const roots = this.sessions.get(sessionId);
    if (!roots) {
      throw new ClientMethodError(-32002, `Resource not found: unknown session "${sessionId}"`, {
        sessionId,
        note: "The relay knows the sessions opened in this run by session/new, session/load or session/resume.",
      });
    }
    return roots;
  }

  /** The real paths of the session's directories that exist. */
  private async realRoots(roots: SessionRoots): Promise<string[]> {
    const real: string[] = [];
    for (const dir of [roots.cwd, ...roots.additionalDirectories]) {
      if (!path.isAbsolute(dir)) continue;
      try {
        real.push(await realpath(dir));
      } catch {
        /* a directory that does not exist confines nothing */
      }
    }
    return real;
  }

  /**
   * Resolve `requested` to a real path inside the session's directories. For a path that does not
   * exist yet (a write), the nearest existing ancestor is resolved and the rest appended, so a
   * symlinked directory cannot smuggle a new file outside either.
   */
  private async confine(sessionId: string, requested: string, mode: "read" | "write" | "directory"): Promise<{ real: string; root: string }> {
    const roots = this.session(sessionId);
    const refuse = (reason: string): ClientMethodError => refusePath(requested, reason, { sessionId });
    if (!path.isAbsolute(requested)) throw refuse("the path must be absolute");
    if (requested.includes("\0")) throw refuse("the path contains a NUL byte");
    const lexical = path.resolve(requested);
    const realRoots = await this.realRoots(roots);
    // Real roots too: an agent may send canonical paths under a cwd that was given via a symlink.
    const lexicalRoots = [roots.cwd, ...roots.additionalDirectories].filter((d) => path.isAbsolute(d)).map((d) => path.resolve(d));
    if (![...lexicalRoots, ...realRoots].some((root) => isInside(root, lexical))) {
      throw refuse(
        requested.split(/[\\/]/).includes("..")
          ? "'..' leads outside the session's cwd and additionalDirectories"
          : "the path is outside the session's cwd and additionalDirectories",
      );
    }
    const real = await this.realTarget(requested, mode);
    // The innermost root that holds it: the one a later open walks down from.
    const root = realRoots.filter((r) => isInside(r, real)).sort((a, b) => b.length - a.length)[0];
    if (root === undefined) {
      throw refusePath(requested, "a symlink leads outside the session's cwd and additionalDirectories", { sessionId, resolved: real });
    }
    return { real, root };
  }

  /** Open a confined file without following a symlink swapped in since confine(); only regular files. */
  private async openConfined(requested: string, sessionId: string, where: { real: string; root: string }, mode: "read" | "write"): ReturnType<typeof openBeneath> {
    try {
      return await openBeneath(where.root, where.real, mode);
    } catch (error) {
      if (!(error instanceof BeneathError)) throw error;
      switch (error.reason) {
        case "directory":
          throw refusePath(requested, "the path is a directory, not a file");
        case "not-regular":
          throw refusePath(requested, "the path is not a regular file (a FIFO, socket or device); only regular files are read or written");
        case "missing":
          throw new ClientMethodError(-32002, `Resource not found: ${requested}`, { path: requested, uri: `file://${encodeURI(requested)}` });
        default:
          throw refusePath(requested, `the path changed while it was opened: ${error.message}`, { sessionId });
      }
    }
  }

  private async realTarget(requested: string, mode: "read" | "write" | "directory"): Promise<string> {
    const notFound = (): ClientMethodError =>
      new ClientMethodError(-32002, `Resource not found: ${requested}`, { path: requested, uri: `file://${encodeURI(requested)}` });
    if (mode !== "write") {
      try {
        return await realpath(requested);
      } catch (error) {
        if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") throw notFound();
        throw error;
      }
    }
    // A dangling symlink would be followed by the write, to wherever it points: refuse it.
    let link: Stats | undefined;
    try {
      link = await lstat(requested);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" && errnoCode(error) !== "ENOTDIR") throw error;
    }
    if (link) {
      try {
        return await realpath(requested);
      } catch {
        throw refusePath(requested, "the path is a dangling symlink");
      }
    }
    const missing: string[] = [];
    let dir = path.resolve(requested);
    for (;;) {
      missing.unshift(path.basename(dir));
      const parent = path.dirname(dir);
      if (parent === dir) throw notFound();
      dir = parent;
      try {
        return path.join(await realpath(dir), ...missing);
      } catch (error) {
        if (errnoCode(error) !== "ENOENT" && errnoCode(error) !== "ENOTDIR") throw error;
      }
    }
  }

  private async readTextFile(p: Record<string, unknown>): Promise<ClientMethodOutcome> {
    const sessionId = requireString(p, "sessionId");
    const requested = requireString(p, "path");
    const line = optionalCount(p, "line", 1);
    const limit = optionalCount(p, "limit", 0);
    const file = await this.openConfined(requested, sessionId, await this.confine(sessionId, requested, "read"), "read");
    let bytes: Buffer | undefined;
    try {
      if (file.stats.size > MAX_READ_BYTES) throw refusePath(requested, `the file is larger than ${MAX_READ_BYTES} bytes`, { size: file.stats.size });
      bytes = await readCapped(file.handle, MAX_READ_BYTES);
      if (!bytes) throw refusePath(requested, `the file is larger than ${MAX_READ_BYTES} bytes`);
    } finally {
      await file.handle.close();
    }
    let content = bytes.toString("utf8");
    if (line !== undefined || limit !== undefined) {
      // Lines keep their terminators, so a slice of the file is byte-for-byte what is in it.
      const lines = content.split(/(?<=\n)/);
      const from = (line ?? 1) - 1;
      content = lines.slice(from, limit === undefined ? undefined : from + limit).join("");
    }
    return { result: { content } };
  }

  private async writeTextFile(p: Record<string, unknown>): Promise<ClientMethodOutcome> {
    const sessionId = requireString(p, "sessionId");
    const requested = requireString(p, "path");
    if (typeof p.content !== "string") throw invalid("content", '"content" must be a string');
    const content = p.content;
    // Missing parents are inside the confined tree (they resolved under a root): the open creates them.
    const file = await this.openConfined(requested, sessionId, await this.confine(sessionId, requested, "write"), "write");
    let oldText: string | null = null;
    try {
      if (!file.created) {
        const old = file.stats.size > MAX_READ_BYTES ? undefined : await readCapped(file.handle, MAX_READ_BYTES);
        oldText = old ? old.toString("utf8") : `‹the previous content (${file.stats.size} bytes) is too large to show›`;
      }
      await overwrite(file.handle, Buffer.from(content, "utf8"));
    } finally {
      await file.handle.close();
    }
    const redact = this.opts.redact;
    this.opts.events.fsWrite({ sessionId, path: requested, oldText: oldText === null ? null : redact(oldText), newText: redact(content) });
    return { result: {} };
  }

  private async createTerminal(p: Record<string, unknown>): Promise<ClientMethodOutcome> {
    const sessionId = requireString(p, "sessionId");
    const command = requireString(p, "command");
    const roots = this.session(sessionId);
    const args = p.args === undefined || p.args === null ? [] : p.args;
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw invalid("args", '"args" must be an array of strings');
    const env: Record<string, string> = {};
    if (p.env !== undefined && p.env !== null) {
      if (!Array.isArray(p.env)) throw invalid("env", '"env" must be an array of {name, value}');
      for (const pair of p.env) {
        if (!isRecord(pair) || typeof pair.name !== "string" || pair.name.length === 0 || pair.name.includes("=") || typeof pair.value !== "string") {
          throw invalid("env", '"env" must be an array of {name, value} strings');
        }
        env[pair.name] = pair.value;
      }
    }
    const outputByteLimit = optionalCount(p, "outputByteLimit", 0);
    const requestedCwd = typeof p.cwd === "string" && p.cwd.length > 0 ? p.cwd : roots.cwd;
    const { real: cwd } = await this.confine(sessionId, requestedCwd, "directory");
    if (!(await stat(cwd)).isDirectory()) throw refusePath(requestedCwd, "cwd is not a directory");
    const terminalId = await this.terminals.create({ sessionId, command, args: args as string[], env, cwd, outputByteLimit });
    return { result: { terminalId } };
  }

  private terminalCall(method: string, p: Record<string, unknown>): ClientMethodOutcome | Promise<ClientMethodOutcome> {
    const sessionId = requireString(p, "sessionId");
    const terminalId = requireString(p, "terminalId");
    switch (method) {
      case "terminal/output":
        return { result: this.terminals.output(terminalId, sessionId) };
      case "terminal/wait_for_exit":
        return settle(this.terminals.waitForExit(terminalId, sessionId).then((status) => ({ result: status })));
      case "terminal/kill":
        this.terminals.kill(terminalId, sessionId);
        return { result: {} };
      default:
        this.terminals.release(terminalId, sessionId);
        return { result: {} };
    }
  }
}

/** A handler's promise as an outcome that never rejects: the relay always answers. */
function settle(work: Promise<ClientMethodOutcome>): Promise<ClientMethodOutcome> {
  return work.catch((error: unknown) => toOutcome(error));
}

function toOutcome(error: unknown): ClientMethodOutcome {
  if (error instanceof ClientMethodError) return { error: { code: error.code, message: error.message, ...(error.data !== undefined ? { data: error.data } : {}) } };
  const code = errnoCode(error);
  return { error: { code: -32603, message: `Internal error: ${(error as Error).message}`, ...(code ? { data: { code } } : {}) } };
}
