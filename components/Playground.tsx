"use client";
/**
 * The one container: owns the hook and the UI-only state (selected frame, filter, composer text),
 * derives what the presentational components need, and turns their callbacks into relay commands.
 */
import { useDeferredValue, useEffect, useMemo, useState } from "react";
import { usePlayground } from "../lib/client/use-playground";
import { applyFilter, EMPTY_FILTER, type FrameFilter, methodsOf } from "../lib/filters";
import { authTimeline } from "../lib/auth-timeline";
import { profileEnvNames } from "../lib/auth-frames";
import { diagnose } from "../lib/diagnosis";
import { nextGuidedStep } from "../lib/guided";
import { oauthWhyIndex } from "../lib/oauth-why";
import { authMethods, lastInitialize, pendingAgentRequests } from "../lib/selectors";
import { outstanding, sessionFacts } from "../lib/session-state";
import { buildTranscript } from "../lib/transcript";
import { buildSequence, SHOW_ALL, type SequenceFilter } from "../lib/sequence";
import { loginCommands } from "../lib/terminal-login";
import { initializeParams, renderTemplate, TEMPLATES, type TemplateContext } from "../lib/templates";
import type { ClientCaps } from "../lib/wire";
import { ActionBar } from "./ActionBar";
import { AuthPanel } from "./AuthPanel";
import { Composer } from "./Composer";
import { ConnectPanel } from "./ConnectPanel";
import { FaultPanel } from "./FaultPanel";
import { OAuthLabPanel } from "./OAuthLabPanel";
import { FrameDetail } from "./FrameDetail";
import { FrameList } from "./FrameList";
import { HeaderBar } from "./HeaderBar";
import { MatrixView } from "./MatrixView";
import { NoticeList } from "./NoticeList";
import { PermissionCards } from "./PermissionCards";
import { ProfileManager } from "./ProfileManager";
import { RunList } from "./RunList";
import { SequenceDiagram } from "./SequenceDiagram";
import { SessionPanel } from "./SessionPanel";
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
  const [side, setSide] = useState<"detail" | "transcript" | "auth" | "session" | "sequence">("detail");
  // The sequence diagram: in the side pane, or across the centre column in place of the frame list.
  const [seqWide, setSeqWide] = useState(false);
  const [seqFilter, setSeqFilter] = useState<SequenceFilter>(SHOW_ALL);
  const [chosenSession, setChosenSession] = useState<string>();
  const [scenario, setScenario] = useState("");
  const [whySeq, setWhySeq] = useState<number>();
  // The OAuth "Why?" open in the Auth tab: an OAuthWhy key (`prompt:<seq>` or `login`).
  const [whyOAuthKey, setWhyOAuthKey] = useState<string>();
  const [profilesOpen, setProfilesOpen] = useState(false);
  const [matrixOpen, setMatrixOpen] = useState(false);

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
  const facts = useMemo(() => sessionFacts(frames, (seq) => store.frame(seq)), [frames, log.version, store]);
  const sessionId = chosenSession && facts.knownSessions.includes(chosenSession) ? chosenSession : facts.sessionId;
  const pending = useMemo(() => (viewingCurrent ? pendingAgentRequests(frames) : []), [frames, log.version, viewingCurrent]);
  // Views of the whole log are built only while their tab is open: each one reads every frame.
  const entries = useMemo(() => (side === "transcript" ? buildTranscript(frames) : []), [frames, log.version, side]);
  const seqShown = side === "sequence" || seqWide;
  const arrows = useMemo(() => (seqShown ? buildSequence(frames, (seq) => store.frame(seq)) : []), [frames, log.version, seqShown, store]);
  const sequence = (wide: boolean) => (
    <SequenceDiagram
      arrows={arrows}
      version={log.version}
      filter={seqFilter}
      onFilterChange={setSeqFilter}
      selectedSeq={selectedSeq}
      onSelect={(seq) => {
        setSelectedSeq(seq);
        setSide("detail");
      }}
      wide={wide}
      onToggleWide={() => {
        setSeqWide(!wide);
        setSide(wide ? "sequence" : "detail");
      }}
    />
  );

  useEffect(() => {
    if (auth.length > 0 && !auth.some((m) => m.id === authMethodId)) setAuthMethodId(auth[0].id);
  }, [auth, authMethodId]);

  // The auth debugger's views, all derived from the viewed run's frames and summary.
  // Each run's timeline covers its own process; a reconnect after a login names the run it came from.
  const loginRuns = useMemo(() => viewRun?.loginAttempts ?? [], [viewRun]);
  const reconnectedFrom = useMemo(() => {
    const from = viewRun?.homeFrom ? state.runs.find((r) => r.runId === viewRun.homeFrom) : undefined;
    const login = from?.loginAttempts.at(-1);
    return from && login ? { runId: from.runId, method: login.method, exitCode: login.exitCode } : undefined;
  }, [viewRun, state.runs]);
  const steps = useMemo(() => (side === "auth" ? authTimeline(frames, { loginRuns }) : []), [frames, log.version, loginRuns, side]);
  const authFailed = useMemo(() => frames.some((f) => f.kind === "error" && f.errorCode === -32000), [frames, log.version]);
  const profileEnv = useMemo(() => profileEnvNames(viewRun?.profileSources ?? []), [viewRun?.profileSources]);
  const guided = nextGuidedStep(steps, auth, running && viewingCurrent, profileEnv);
  const diagnosis = useMemo(
    () =>
      viewRun && side === "auth"
        ? diagnose({
            frames,
            agent: { id: viewRun.agentId, version: viewRun.agentInfo?.version ?? viewRun.agentVersion, kimi: viewRun.kimi },
            profile: { kind: viewRun.profileKind ?? "generic", sources: viewRun.profileSources ?? [] },
            clientCaps: caps,
            failureSeq: whySeq,
          })
        : undefined,
    [frames, log.version, viewRun, caps, whySeq, side],
  );
  // OAuth failures that may have no error frame (a refused refresh 2.1.0 answers end_turn), with their rows.
  const oauthWhy = useMemo(
    () =>
      viewRun
        ? oauthWhyIndex(frames, { id: viewRun.agentId, version: viewRun.agentInfo?.version ?? viewRun.agentVersion, kimi: viewRun.kimi }, { kind: viewRun.profileKind ?? "generic", sources: viewRun.profileSources ?? [] })
        : undefined,
    [frames, log.version, viewRun],
  );
  const shownOAuthWhy = oauthWhy?.items.find((w) => w.key === whyOAuthKey) ?? oauthWhy?.items.at(-1);
  const openWhyOAuth = (seq: number): void => {
    setWhyOAuthKey(oauthWhy?.rows.get(seq));
    setSide("auth");
  };
  const oauthLabelOf = (seq: number): string => {
    const f = store.frame(seq);
    if (!f) return "";
    if (f.kind === "http" && f.http) return `http ${f.http.method} ${f.http.path} → ${f.http.status ?? "no answer"}`;
    if (f.kind === "home" && f.home) return `home ${f.home.op} ${f.home.path}`;
    if (f.kind === "agent-log" && f.agentLog) return `agent log ${f.agentLog.file}:${f.agentLog.line}`;
    return `${f.kind}${f.method ? ` ${f.method}` : ""}`;
  };
  const terminalMethods = useMemo(
    // Every method with a login command: typed terminal, legacy _meta, and Qwen's _meta.type "terminal".
    () => auth.map((method) => ({ method, commands: loginCommands(method, viewRun?.argv ?? []) })).filter(({ commands }) => commands.spec !== undefined || commands.legacy !== undefined),
    [auth, viewRun?.argv],
  );
  // Ask the relay whether the login commands can run, whenever the advertised methods change.
  const methodKey = terminalMethods.map((t) => t.method.id).join(",");
  useEffect(() => {
    if (side === "auth" && methodKey && viewingCurrent) send({ type: "login_check" });
    // send is stable in behaviour; re-check only when methods, tab or run change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [methodKey, side, viewingCurrent, log.runId]);
  const logoutAdvertised = useMemo(() => {
    const caps = lastInitialize(frames)?.result?.agentCapabilities as { auth?: { logout?: unknown } } | undefined;
    return caps?.auth?.logout !== undefined && caps.auth.logout !== null;
  }, [frames, log.version]);

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
        onMatrix={() => setMatrixOpen(true)}
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
            onRestart={() => send({ type: "restart" })}
            onKill={() => send({ type: "kill" })}
          />
          {state.faults ? <FaultPanel faults={state.faults} onChange={(faults) => send({ type: "set_faults", faults })} /> : null}
          {state.oauth ? (
            <OAuthLabPanel
              state={state.oauth}
              emulatedRun={currentRun?.profileKind === "kimi-oauth-emulated"}
              onBehaviour={(behaviour) => send({ type: "oauth_behaviour", behaviour })}
              onAction={(action, userCode) => send({ type: "oauth_action", action, userCode })}
            />
          ) : null}
          <RunList
            runs={state.runs}
            runsDisk={state.runsDisk}
            currentRunId={state.currentRunId}
            viewRunId={log.runId}
            onSelect={(runId) => send({ type: "select_run", runId })}
            onReplay={(runId) => send({ type: "replay_run", runId })}
            onImport={(text, name) => send({ type: "import_trace", text, name })}
          />
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
            scenario={scenario}
            onScenarioChange={setScenario}
            onPrompt={() => sessionId && request("session/prompt", { sessionId, prompt: [{ type: "text", text: scenario ? `[scenario:${scenario}] ${promptText}` : promptText }] })}
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
          {seqWide ? (
            sequence(true)
          ) : (
            <FrameList
              frames={shown}
              version={log.version}
              totalFrames={frames.length}
              filter={filter}
              methods={methods}
              selectedSeq={selectedSeq}
              onFilterChange={setFilter}
              validation={state.validation}
              onValidationChange={(v) => send({ type: "set_validation", enabled: v.enabled, unstable: v.unstable })}
              whyRows={oauthWhy?.rows}
              onWhyOAuth={openWhyOAuth}
              onSelect={(seq) => {
                setSelectedSeq(seq);
                setSide("detail");
              }}
            />
          )}
        </main>
        <aside className="right">
          <div className="tabs">
            <button type="button" data-testid="tab-detail" className={side === "detail" ? "active" : ""} onClick={() => setSide("detail")}>
              Frame
            </button>
            <button type="button" data-testid="tab-transcript" className={side === "transcript" ? "active" : ""} onClick={() => setSide("transcript")}>
              Transcript
            </button>
            <button type="button" data-testid="tab-session" className={side === "session" ? "active" : ""} onClick={() => setSide("session")}>
              Session
            </button>
            <button type="button" data-testid="tab-auth" className={side === "auth" ? "active" : ""} onClick={() => setSide("auth")}>
              Auth{authFailed ? " ⚠" : ""}
            </button>
            <button
              type="button"
              data-testid="tab-sequence"
              className={side === "sequence" ? "active" : ""}
              onClick={() => {
                setSide("sequence");
                setSeqWide(false);
              }}
            >
              Sequence
            </button>
          </div>
          {side === "sequence" ? (
            sequence(false)
          ) : side === "auth" ? (
            <AuthPanel
              steps={steps}
              reconnectedFrom={reconnectedFrom}
              onSelectRun={(runId) => send({ type: "select_run", runId })}
              guided={guided}
              diagnosis={diagnosis}
              oauthWhy={shownOAuthWhy}
              oauthWhyOpen={whyOAuthKey !== undefined && shownOAuthWhy?.key === whyOAuthKey}
              onWhyOAuth={() => setWhyOAuthKey(shownOAuthWhy?.key)}
              oauthLabelOf={oauthLabelOf}
              flow={state.flow}
              terminalMethods={terminalMethods}
              loginCheck={state.loginCheck && state.loginCheck.runId === log.runId ? state.loginCheck.results : undefined}
              login={loginOfRun(state.login, state.runs.find((r) => r.runId === log.runId))}
              loginOutput={state.loginOutput}
              loginEpoch={state.loginEpoch}
              logoutAdvertised={logoutAdvertised}
              advDiff={state.advDiff ? { variants: state.advDiff.variants, running: state.advDiff.running === true } : undefined}
              onProbe={() => send({ type: "flow", mode: "probe", agentId, cwd, caps })}
              onAuto={() => send({ type: "flow", mode: "auto", agentId, cwd, caps })}
              onGuided={() => {
                const a = guided.action;
                if (a.kind === "start") send({ type: "start", agentId, cwd });
                else if (a.kind === "initialize") request("initialize", initializeParams(caps));
                else if (a.kind === "session_new") request("session/new", { cwd: ctx.cwd, mcpServers: [] });
                else if (a.kind === "authenticate") request("authenticate", { methodId: a.methodId });
                else if (a.kind === "env_var" && !a.needsInput) send({ type: "auth_env_start", methodId: a.methodId });
                else if (a.kind === "api_key") send({ type: "auth_key_start", methodId: a.methodId });
                else if (a.kind === "login") send({ type: "login_start", methodId: a.methodId, convention: a.convention });
              }}
              onLogin={(methodId, convention) => send({ type: "login_start", methodId, convention })}
              onLoginInput={(data) => send({ type: "login_input", data })}
              onLoginResize={(cols, rows) => send({ type: "login_resize", cols, rows })}
              onLoginCancel={() => send({ type: "login_cancel" })}
              onLogout={() => request("logout", {})}
              methods={auth}
              profileEnv={profileEnv}
              canAct={running && viewingCurrent}
              onEnvVar={(methodId, values) => send({ type: "auth_env_start", methodId, values: Object.keys(values).length > 0 ? values : undefined })}
              onApiKey={(methodId, apiKey, gateway) => send({ type: "auth_key_start", methodId, apiKey, gateway })}
              onAdvDiff={() => send({ type: "adv_diff", agentId: currentRun?.agentId ?? agentId, cwd })}
              onSelect={(seq) => {
                setSelectedSeq(seq);
                setSide("detail");
              }}
            />
          ) : side === "detail" ? (
            selected ? (
              <FrameDetail
                frame={selected}
                pair={pair}
                onSelect={setSelectedSeq}
                onClose={() => setSelectedSeq(undefined)}
                onWhyOAuth={oauthWhy?.rows.has(selected.seq) ? () => openWhyOAuth(selected.seq) : undefined}
                onWhy={
                  selected.kind === "error" && selected.errorCode === -32000
                    ? () => {
                        setWhySeq(selected.seq);
                        setSide("auth");
                      }
                    : undefined
                }
              />
            ) : (
              <p className="muted pad">Click a frame to see its JSON, its raw line and its paired request or response.</p>
            )
          ) : (
            side === "session" ? (
              <SessionPanel
                running={running && viewingCurrent}
                facts={facts}
                selectedSessionId={sessionId}
                policy={state.permissionPolicy}
                outstanding={outstanding(frames, Date.now())}
                fsWrites={state.fsWrites.filter((w) => w.runId === log.runId)}
                terminals={state.clientTerminals.filter((t) => t.runId === log.runId)}
                onSelectSession={setChosenSession}
                onRequest={request}
                onNotify={(method, params) => send({ type: "notify", method, params })}
                onPolicy={(policy) => send({ type: "set_permission_policy", policy })}
                onSelectFrame={(seq) => {
                  setSelectedSeq(seq);
                  setSide("detail");
                }}
                cwd={ctx.cwd}
              />
            ) : (
              <Transcript entries={entries} onSelect={setSelectedSeq} />
            )
          )}
        </aside>
      </div>
      <StatusBar run={viewRun} connection={state.connection} shownFrames={shown.length} dropped={log.dropped} />
      {matrixOpen ? (
        <MatrixView
          catalog={state.catalog}
          profiles={state.profiles}
          matrix={state.matrix}
          onRun={(agentIds, profileIds, prompt) => send({ type: "matrix_run", agentIds, profileIds, prompt })}
          onCancel={() => send({ type: "matrix_cancel" })}
          onOpenCell={(index) => {
            send({ type: "matrix_open", index });
            setMatrixOpen(false);
          }}
          onClose={() => setMatrixOpen(false)}
        />
      ) : null}
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

/**
 * A terminal login belongs to the run whose agent advertised it (and to the reconnect that reuses
 * that run's home): another run never shows its state or result.
 */
function loginOfRun<L extends { runId?: string }>(login: L | undefined, run: { runId: string; homeFrom?: string } | undefined): L | undefined {
  if (!login || !run) return undefined;
  return login.runId === undefined || login.runId === run.runId || login.runId === run.homeFrom ? login : undefined;
}
