"use client";
/**
 * The one container: owns the hook and the UI-only state (selected frame, filter, composer text),
 * derives what the presentational components need, and turns their callbacks into relay commands.
 */
import { useDeferredValue, useEffect, useMemo, useState } from "react";
import { usePlayground } from "../lib/client/use-playground";
import { applyFilter, EMPTY_FILTER, type FrameFilter, methodsOf } from "../lib/filters";
import { authMethods, lastSessionId, pendingAgentRequests, transcript } from "../lib/selectors";
import { initializeParams, renderTemplate, TEMPLATES, type TemplateContext } from "../lib/templates";
import type { ClientCaps } from "../lib/wire";
import { ActionBar } from "./ActionBar";
import { Composer } from "./Composer";
import { ConnectPanel } from "./ConnectPanel";
import { FrameDetail } from "./FrameDetail";
import { FrameList } from "./FrameList";
import { HeaderBar } from "./HeaderBar";
import { NoticeList } from "./NoticeList";
import { PermissionCards } from "./PermissionCards";
import { ProfileManager } from "./ProfileManager";
import { RunList } from "./RunList";
import { StatusBar } from "./StatusBar";
import { Transcript } from "./Transcript";

const DEFAULT_CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true };

export function Playground() {
  const { state, store, send } = usePlayground();
  const [agentId, setAgentId] = useState("");
  const [cwd, setCwd] = useState("");
  const [caps, setCaps] = useState<ClientCaps>(DEFAULT_CAPS);
  const [filter, setFilter] = useState<FrameFilter>(EMPTY_FILTER);
  const [selectedSeq, setSelectedSeq] = useState<number>();
  const [authMethodId, setAuthMethodId] = useState("");
  const [promptText, setPromptText] = useState("Hello! What can you do?");
  const [composerText, setComposerText] = useState("");
  const [side, setSide] = useState<"detail" | "transcript">("detail");
  const [profilesOpen, setProfilesOpen] = useState(false);

  useEffect(() => {
    if (!agentId && state.catalog.length > 0) setAgentId(state.catalog[0].id);
  }, [agentId, state.catalog]);
  useEffect(() => {
    if (!cwd && state.server) setCwd(state.server.defaultCwd);
  }, [cwd, state.server]);

  const log = state.log;
  const frames = log.frames;
  const viewRun = state.runs.find((r) => r.runId === log.runId);
  const currentRun = state.runs.find((r) => r.runId === state.currentRunId);
  const running = currentRun?.state === "running" || currentRun?.state === "starting";
  const viewingCurrent = log.runId === state.currentRunId;

  // Derived views; recomputed when the log's version bumps.
  const methods = useMemo(() => methodsOf(frames), [frames, log.version]);
  const deferredFilter = useDeferredValue(filter);
  const shown = useMemo(() => applyFilter(frames, deferredFilter), [frames, log.version, deferredFilter]);
  const auth = useMemo(() => authMethods(frames), [frames, log.version]);
  const sessionId = useMemo(() => lastSessionId(frames), [frames, log.version]);
  const pending = useMemo(() => (viewingCurrent ? pendingAgentRequests(frames) : []), [frames, log.version, viewingCurrent]);
  const items = useMemo(() => transcript(frames), [frames, log.version]);

  useEffect(() => {
    if (auth.length > 0 && !auth.some((m) => m.id === authMethodId)) setAuthMethodId(auth[0].id);
  }, [auth, authMethodId]);

  const selected = store.frame(selectedSeq);
  const pair = store.frame(selected?.pairSeq);
  const ctx: TemplateContext = {
    cwd: cwd || state.server?.defaultCwd || "/",
    sessionId,
    authMethodId,
    caps,
    nextId: frames.filter((f) => f.dir === "out" && f.kind === "request").length,
    promptText,
  };

  const request = (method: string, params: unknown): void => {
    send({ type: "request", method, params });
  };

  return (
    <div className="app" data-testid="playground" data-connection={state.connection}>
      <HeaderBar
        profiles={state.profiles}
        activeProfileId={state.activeProfileId}
        connection={state.connection}
        onProfileSelect={(id) => send({ type: "profile_select", profileId: id })}
        onManageProfiles={() => setProfilesOpen(true)}
      />
      <NoticeList notices={state.notices} onDismiss={(id) => store.dismissNotice(id)} />
      <div className="main">
        <aside className="sidebar">
          <ConnectPanel
            catalog={state.catalog}
            catalogError={state.catalogError}
            agentId={agentId}
            cwd={cwd}
            caps={caps}
            running={running}
            onAgentChange={setAgentId}
            onCwdChange={setCwd}
            onCapsChange={setCaps}
            onStart={() => send({ type: "start", agentId, cwd })}
            onRestart={() => send({ type: "start", agentId: currentRun?.agentId ?? agentId, cwd })}
            onKill={() => send({ type: "kill" })}
          />
          <RunList runs={state.runs} currentRunId={state.currentRunId} viewRunId={log.runId} onSelect={(runId) => send({ type: "select_run", runId })} />
        </aside>
        <main className="center">
          <ActionBar
            running={running && viewingCurrent}
            authMethods={auth}
            authMethodId={authMethodId}
            sessionId={sessionId}
            promptText={promptText}
            onAuthMethodChange={setAuthMethodId}
            onPromptTextChange={setPromptText}
            onInitialize={() => request("initialize", initializeParams(caps))}
            onAuthenticate={() => request("authenticate", { methodId: authMethodId })}
            onSessionNew={() => request("session/new", { cwd: ctx.cwd, mcpServers: [] })}
            onPrompt={() => sessionId && request("session/prompt", { sessionId, prompt: [{ type: "text", text: promptText }] })}
            onCancel={() => sessionId && send({ type: "notify", method: "session/cancel", params: { sessionId } })}
          />
          <Composer
            templates={TEMPLATES}
            text={composerText}
            running={running && viewingCurrent}
            onTextChange={setComposerText}
            onPickTemplate={(method) => {
              const t = TEMPLATES.find((x) => x.method === method);
              if (t) setComposerText(renderTemplate(t, ctx));
            }}
            onSend={(text) => send({ type: "send_raw", text })}
          />
          <PermissionCards
            pending={pending}
            onAnswer={(id, result) => send({ type: "respond", id, result })}
            onReject={(id) => send({ type: "respond", id, error: { code: -32601, message: "Method not found" } })}
            onSelect={setSelectedSeq}
          />
          {!viewingCurrent && log.runId ? (
            <div className="banner" data-testid="viewing-old-run">
              Viewing earlier run {log.runId}.{" "}
              {state.currentRunId ? (
                <button type="button" className="link" onClick={() => send({ type: "select_run", runId: state.currentRunId ?? "" })}>
                  Back to the current run
                </button>
              ) : null}
            </div>
          ) : null}
          <FrameList
            frames={shown}
            version={log.version}
            totalFrames={frames.length}
            filter={filter}
            methods={methods}
            selectedSeq={selectedSeq}
            onFilterChange={setFilter}
            onSelect={(seq) => {
              setSelectedSeq(seq);
              setSide("detail");
            }}
          />
        </main>
        <aside className="right">
          <div className="tabs">
            <button type="button" data-testid="tab-detail" className={side === "detail" ? "active" : ""} onClick={() => setSide("detail")}>
              Frame
            </button>
            <button type="button" data-testid="tab-transcript" className={side === "transcript" ? "active" : ""} onClick={() => setSide("transcript")}>
              Transcript
            </button>
          </div>
          {side === "detail" ? (
            selected ? (
              <FrameDetail frame={selected} pair={pair} onSelect={setSelectedSeq} onClose={() => setSelectedSeq(undefined)} />
            ) : (
              <p className="muted pad">Click a frame to see its JSON, its raw line and its paired request or response.</p>
            )
          ) : (
            <Transcript items={items} onSelect={setSelectedSeq} />
          )}
        </aside>
      </div>
      <StatusBar run={viewRun} connection={state.connection} shownFrames={shown.length} dropped={log.dropped} />
      {profilesOpen ? (
        <ProfileManager
          profiles={state.profiles}
          activeProfileId={state.activeProfileId}
          preview={state.preview}
          check={state.check}
          onClose={() => setProfilesOpen(false)}
          onSave={(draft) => send({ type: "profile_save", draft })}
          onDelete={(profileId) => send({ type: "profile_delete", profileId })}
          onDuplicate={(profileId) => send({ type: "profile_duplicate", profileId })}
          onPreview={(draft) => send({ type: "profile_preview", draft })}
          onCheck={(profileId) => send({ type: "profile_check", profileId })}
          onSelect={(profileId) => send({ type: "profile_select", profileId })}
        />
      ) : null}
    </div>
  );
}
