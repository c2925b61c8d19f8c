/**
 * A run's session facts, folded from its frames: which sessions exist, the current one, its modes,
 * config options and models (session/set_model, served by many agents), the sessions a `session/list` returned, and which
 * requests are still outstanding in each direction. The session pickers are built from this, so
 * they always show what the agent last said, not what the UI assumed.
 */
import { parseMessage } from "./jsonrpc";
import type { Frame } from "./wire";

export interface ConfigOptionView {
  id: string;
  name: string;
  category?: string;
  type: string;
  currentValue: string | boolean | null;
  options: { value: string; name: string; description?: string }[];
}

export interface SessionFacts {
  sessionId?: string;
  knownSessions: string[];
  listed: { sessionId: string; cwd?: string; title?: string; updatedAt?: string }[];
  modes?: { currentModeId: string; availableModes: { id: string; name: string; description?: string }[] };
  configOptions: ConfigOptionView[];
  models?: { currentModelId?: string; availableModels: { modelId: string; name: string }[] };
}


function readConfigOptions(value: unknown): ConfigOptionView[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter((o): o is Record<string, unknown> => typeof o === "object" && o !== null && typeof (o as Record<string, unknown>).id === "string")
    .map((o) => {
      // Options may be flat or grouped ({group, options}); flatten the groups.
      const raw = Array.isArray(o.options) ? (o.options as Record<string, unknown>[]) : [];
      const flat = raw.flatMap((x) => (Array.isArray(x.options) ? (x.options as Record<string, unknown>[]) : [x]));
      return {
        id: o.id as string,
        name: typeof o.name === "string" ? o.name : (o.id as string),
        category: typeof o.category === "string" ? o.category : undefined,
        type: typeof o.type === "string" ? o.type : "select",
        currentValue: typeof o.currentValue === "string" || typeof o.currentValue === "boolean" ? o.currentValue : null,
        options: flat.filter((x) => typeof x.value === "string").map((x) => ({ value: x.value as string, name: typeof x.name === "string" ? x.name : (x.value as string), description: typeof x.description === "string" ? x.description : undefined })),
      };
    });
}

const SESSION_RESULTS = new Set(["session/new", "session/load", "session/resume"]);

export function sessionFacts(frames: readonly Frame[], bySeq: (seq: number) => Frame | undefined): SessionFacts {
  const facts: SessionFacts = { knownSessions: [], listed: [], configOptions: [] };
  const remember = (id: string): void => {
    if (!facts.knownSessions.includes(id)) facts.knownSessions.push(id);
  };
  for (const f of frames) {
    if (f.dir === "in" && f.kind === "response" && f.method && f.pairSeq !== undefined) {
      const result = parseMessage(f)?.result as Record<string, unknown> | undefined;
      if (!result) continue;
      if (SESSION_RESULTS.has(f.method)) {
        // session/load and resume answer without a sessionId: it is the one the request named.
        const req = bySeq(f.pairSeq);
        const reqId = req ? ((parseMessage(req)?.params as { sessionId?: unknown } | undefined)?.sessionId as string | undefined) : undefined;
        const id = typeof result.sessionId === "string" ? result.sessionId : reqId;
        if (id) {
          facts.sessionId = id;
          remember(id);
        }
        const modes = result.modes as SessionFacts["modes"] | null | undefined;
        if (modes && Array.isArray(modes.availableModes)) facts.modes = modes;
        facts.configOptions = readConfigOptions(result.configOptions) ?? facts.configOptions;
        const models = result.models as SessionFacts["models"] | null | undefined;
        if (models && Array.isArray(models.availableModels)) facts.models = models;
      } else if (f.method === "session/set_config_option") {
        facts.configOptions = readConfigOptions(result.configOptions) ?? facts.configOptions;
      } else if (f.method === "session/list" && Array.isArray(result.sessions)) {
        facts.listed = (result.sessions as Record<string, unknown>[])
          .filter((s) => typeof s.sessionId === "string")
          .map((s) => ({ sessionId: s.sessionId as string, cwd: s.cwd as string | undefined, title: s.title as string | undefined, updatedAt: s.updatedAt as string | undefined }));
        for (const s of facts.listed) remember(s.sessionId);
      } else if (f.method === "session/set_mode" && f.pairSeq !== undefined && facts.modes) {
        const req = bySeq(f.pairSeq);
        const modeId = req ? (parseMessage(req)?.params as { modeId?: unknown } | undefined)?.modeId : undefined;
        if (typeof modeId === "string") facts.modes = { ...facts.modes, currentModeId: modeId };
      } else if (f.method === "session/set_model" && f.pairSeq !== undefined && facts.models) {
        const req = bySeq(f.pairSeq);
        const modelId = req ? (parseMessage(req)?.params as { modelId?: unknown } | undefined)?.modelId : undefined;
        if (typeof modelId === "string") facts.models = { ...facts.models, currentModelId: modelId };
      }
    } else if (f.dir === "in" && f.kind === "notification" && (f.updateKind === "current_mode_update" || f.updateKind === "config_option_update")) {
      // Only these two kinds matter here; checking the stamped kind first skips parsing every chunk.
      const update = (parseMessage(f)?.params as { update?: Record<string, unknown> } | undefined)?.update;
      if (f.updateKind === "current_mode_update" && facts.modes && typeof update?.currentModeId === "string") {
        facts.modes = { ...facts.modes, currentModeId: update.currentModeId };
      } else if (f.updateKind === "config_option_update") {
        facts.configOptions = readConfigOptions(update?.configOptions) ?? facts.configOptions;
      }
    }
  }
  return facts;
}

export interface Outstanding {
  frame: Frame;
  /** Milliseconds since the request crossed stdio (wall clock). */
  ageMs: number;
}

/** Requests still waiting for an answer, both directions, oldest first. */
export function outstanding(frames: readonly Frame[], nowWall: number): Outstanding[] {
  return frames.filter((f) => f.kind === "request" && f.pairSeq === undefined && f.dir !== "sys").map((frame) => ({ frame, ageMs: Math.max(0, nowWall - frame.wall) }));
}
