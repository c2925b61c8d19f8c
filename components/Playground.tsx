"use client";
/**
 * The one container: owns the hook and the UI-only state (selected frame, filter, composer text),
 * derives what the presentational components need, and turns their callbacks into relay commands.
 */
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { usePlayground } from "../lib/client/use-playground";
import { applyFilter, EMPTY_FILTER, type FrameFilter, methodsOf } from "../lib/filters";
import { authTimeline } from "../lib/auth-timeline";
import { profileEnvNames } from "../lib/auth-frames";
import { diagnose } from "../lib/diagnosis";
import { nextGuidedStep } from "../lib/guided";
import { oauthWhyIndex } from "../lib/oauth-why";
import { authMethods, cancellable, lastInitialize, pendingAgentRequests, protocolState } from "../lib/selectors";
import { outstanding, sessionFacts } from "../lib/session-state";
import { buildTranscript } from "../lib/transcript";
import { buildSequence, SHOW_ALL, type SequenceFilter } from "../lib/sequence";
import { loginCommands } from "../lib/terminal-login";
import { adaptRequest, initializeParams, renderTemplate, templatesFor, type TemplateContext } from "../lib/templates";
import { authVerbs, type ProtocolVersion } from "../lib/version";
import { ProtocolChoice } from "./ProtocolChoice";
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
import { AuthStatusCard } from "./AuthStatusCard";
import { ElicitationCards } from "./ElicitationCards";
import { ProvidersPanel } from "./ProvidersPanel";
import { SessionUnstableActions } from "./SessionUnstableActions";
import { ProfileManager } from "./ProfileManager";
import { ReportPreview } from "./ReportPreview";
import { RunList } from "./RunList";
import { SequenceDiagram } from "./SequenceDiagram";
import { SessionPanel } from "./SessionPanel";
import { SideTabs } from "./SideTabs";
import { ConformanceView } from "./ConformanceView";
import { Workspace } from "./Workspace";
import { useTheme } from "../lib/client/use-theme";
import { StatusBar } from "./StatusBar";
import { RunHeadline } from "./RunHeadline";
import { activeFaults, relayMade } from "../lib/fault-notes";
import { actionStates, authMethodFor, flowFor, lastError, type LocalRequest, openLocalRequests, pendingClientRequests, runCaption, type Scoped, scopedTo } from "../lib/run-scope";
import { Transcript } from "./Transcript";
import { usePref } from "../lib/client/use-ui-pref";
import { DEFAULT_PANES } from "../lib/client/ui-prefs";
import { useDeepLink } from "../lib/client/use-deep-link";
import { afterClear, clearMark } from "../lib/log-clear";
import { useClearMarks } from "../lib/client/use-clear-marks";
import { EmptyLog, emptyReason, LogClear } from "./LogClear";
import { AgentSnippets } from "./AgentSnippets";

const DEFAULT_CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true, elicitation: false };

export function Playground() {
  const { state, store, send } = usePlayground();
  const [theme, setTheme] = useTheme();
  const [agentId, setAgentId] = usePref("agentId", "");
  const [cwd, setCwd] = useState("");
  const [caps, setCaps] = usePref("caps", DEFAULT_CAPS);
  // What initialize asks for; the agent's answer (protocolState) decides what everything after speaks.
  const [protocol, setProtocol] = useState<ProtocolVersion>(1);
  const [filter, setFilter] = usePref("filter", EMPTY_FILTER);
  // Per-run UI state is kept with its run (lib/run-scope.ts): a new run never opens an old run's frame.
  const [selection, setSelection] = useState<Scoped<number>>();
  const [authMethodId, setAuthMethodId] = useState("");
  const [promptText, setPromptText] = useState("Hello! What can you do?");
  const [composerText, setComposerText] = useState("");
  const [composerOpen, setComposerOpen] = usePref("composerOpen", false);
  const [composerHeight, setComposerHeight] = usePref("composerHeight", 0);
  const [detailView, setDetailView] = usePref("detailView", "tree");
  const [panes, setPanes] = usePref("panes", DEFAULT_PANES);
  // Clear for a run's log: the newest seq hidden, per run (lib/log-clear.ts); nothing is deleted; kept across reloads.
  const clearMarks = useClearMarks(state.runs, state.server !== undefined);
  // Remembered across reloads (lib/client/ui-prefs.ts): tab, filters, caps, scenario, composer, views, agent.
  const [side, setSide] = usePref("side", "detail");
  // The sequence diagram: in the side pane, or across the centre column in place of the frame list.
  const [seqWide, setSeqWide] = usePref("seqWide", false);
  const [seqFilter, setSeqFilter] = useState<SequenceFilter>(SHOW_ALL);
  const [chosenSessionScoped, setChosenSessionScoped] = useState<Scoped<string>>();
  const [scenario, setScenario] = usePref("scenario", "");
  const [whySeqScoped, setWhySeqScoped] = useState<Scoped<number>>();
  // Button presses the relay has not echoed yet: a double click sends one request.
  const [localRequests, setLocalRequests] = useState<LocalRequest[]>([]);
  const [faultsOpen, setFaultsOpen] = useState(false);
  // "Why?" was just clicked: the Auth tab scrolls the diagnosis into view once.
  const [whyReveal, setWhyReveal] = useState(false);
  const openWhy = (seq: number): void => {
    setWhySeq(seq);
    setWhyReveal(true);
    setSide("auth");
  };
  // The OAuth "Why?" open in the Auth tab: an OAuthWhy key (`prompt:<seq>` or `login`).
  const [whyOAuthKeyScoped, setWhyOAuthKeyScoped] = useState<Scoped<string>>();
  const [profilesOpen, setProfilesOpen] = useState(false);
  const [reportRunId, setReportRunId] = useState<string>();
  const [matrixOpen, setMatrixOpen] = useState(false);

  useEffect(() => {
    // A remembered agent the catalog no longer lists falls back to the first one.
    if (state.catalog.length > 0 && !state.catalog.some((c) => c.id === agentId)) setAgentId(state.catalog[0].id);
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
  const inRun = <T,>(value: T | undefined): Scoped<T> | undefined => (value === undefined || log.runId === undefined ? undefined : { runId: log.runId, value });
  const selectedSeq = scopedTo(selection, log.runId);
  const setSelectedSeq = (seq: number | undefined): void => setSelection(inRun(seq));
  const whySeq = scopedTo(whySeqScoped, log.runId);
  const setWhySeq = (seq: number | undefined): void => setWhySeqScoped(inRun(seq));
  const whyOAuthKey = scopedTo(whyOAuthKeyScoped, log.runId);
  const setWhyOAuthKey = (key: string | undefined): void => setWhyOAuthKeyScoped(inRun(key));
  const chosenSession = scopedTo(chosenSessionScoped, log.runId);
  const setChosenSession = (id: string | undefined): void => setChosenSessionScoped(inRun(id));
  // The agent picker follows the current run whenever a new one starts (here, in another tab, by a
  // flow or a profile switch): the picker and the running agent never disagree.
  const currentAgentId = currentRun && !currentRun.imported ? currentRun.agentId : undefined;
  const followedRun = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!currentAgentId || followedRun.current === state.currentRunId || !state.catalog.some((c) => c.id === currentAgentId)) return;
    followedRun.current = state.currentRunId;
    setAgentId(currentAgentId);
  }, [state.currentRunId, currentAgentId, state.catalog]);

  // Derived views; recomputed when the log's version bumps.
  const methods = useMemo(() => methodsOf(frames), [frames, log.version]);
  const deferredFilter = useDeferredValue(filter);
  const logMark = clearMarks.markOf(log.runId);
  const cleared = useMemo(() => afterClear(frames, logMark), [frames, log.version, logMark]);
  const shown = useMemo(() => applyFilter(cleared.visible, deferredFilter), [cleared, deferredFilter]);
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
    // A new run (or one not initialized yet) has no method: never keep an id from an earlier run.
    const next = authMethodFor(authMethodId, auth.map((m) => m.id));
    if (next !== authMethodId) setAuthMethodId(next);
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
  const proto = useMemo(() => protocolState(frames), [frames, log.version]);
  const speaking = proto.requested === undefined ? protocol : proto.speaking;
  const verbs = authVerbs(speaking);
  const templates = templatesFor(speaking);
  const guided = nextGuidedStep(steps, auth, running && viewingCurrent, profileEnv, speaking);
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
    // v2: advertising authMethods means the agent serves auth/logout; v1 advertises logout as a capability.
    if (speaking === 2) return auth.length > 0;
    const caps = lastInitialize(frames)?.result?.agentCapabilities as { auth?: { logout?: unknown } } | undefined;
    return caps?.auth?.logout !== undefined && caps.auth.logout !== null;
  }, [frames, log.version, speaking, auth]);

  const selected = store.frame(selectedSeq);
  const pair = store.frame(selected?.pairSeq);
  // Links to a run and frame (#run=…&frame=…): followed once on load, then kept in the address bar.
  const runIds = useMemo(() => state.runs.map((r) => r.runId), [state.runs]);
  const { shareUrl } = useDeepLink({
    ready: state.connection === "open" && state.server !== undefined,
    runIds,
    viewRunId: log.runId,
    selectedSeq,
    version: log.version,
    hasFrame: (seq) => store.frame(seq) !== undefined,
    selectRun: (runId) => send({ type: "select_run", runId }),
    openFrame: (runId, seq, reload) => {
      setSelection({ runId, value: seq });
      if (!reload) setSide("detail");
    },
    notify: (message, hint) => store.addNotice("warn", message, hint),
  });
  const clearLog = (): void => clearMarks.setMark(log.runId, clearMark(frames));
  const showCleared = (): void => clearMarks.unset(log.runId);
  const emptyWhy = emptyReason(frames.length, cleared.visible.length, shown.length);
  const ctx: TemplateContext = {
    cwd: cwd || state.server?.defaultCwd || "/",
    sessionId,
    authMethodId,
    caps,
    nextId: frames.filter((f) => f.dir === "out" && f.kind === "request").length,
    // v2's tool_call/cancel and terminal/cancel templates name what the agent says is cancellable.
    ...(speaking === 2 ? cancellable(frames) : {}),
    promptText,
  };

  const request = (method: string, params: unknown): void => {
    // Panels build v1's shapes; in v2 a few differ (auth/login, typed config values).
    send({ type: "request", ...adaptRequest(method, params, speaking) });
  };
  // The action buttons: preconditions, and their own request in flight (from the log, or a press not echoed yet).
  const now = Date.now();
  const openLocal = openLocalRequests(localRequests, log.runId, frames, now);
  const clientPending = useMemo(() => (viewingCurrent ? pendingClientRequests(frames) : []), [frames, log.version, viewingCurrent]);
  const actions = actionStates({ live: running && viewingCurrent, frames, authMethodIds: auth.map((m) => m.id), authMethodId, sessionId, pending: clientPending, local: openLocal, loginMethod: verbs.login });
  const pressed = (method: string, params: unknown): void => {
    const adapted = adaptRequest(method, params, speaking);
    if (!log.runId || openLocal.some((l) => l.method === adapted.method) || clientPending.some((p) => p.method === adapted.method)) return;
    // Only a command that left the page blocks its button (a closed socket already said why it did not).
    if (send({ type: "request", ...adapted })) setLocalRequests([...openLocal, { runId: log.runId, method: adapted.method, afterSeq: frames.at(-1)?.seq ?? -1, at: Date.now() }]);
  };
  const flow = flowFor(state.flows, log.runId, state.currentRunId);
  const advDiffRun = state.advDiff ? state.runs.find((r) => r.runId === state.advDiff?.runId) : undefined;
  // A diff asked with no run at all (the picked agent, the active profile) shows until a run is viewed.
  const advDiff = state.advDiff && (state.advDiff.runId || undefined) === log.runId ? { variants: state.advDiff.variants, running: state.advDiff.running === true, caption: advDiffRun ? runCaption(advDiffRun) : state.advDiff.agentId, protocolVersion: state.advDiff.protocolVersion } : undefined;
  const faultList = activeFaults(state.faults);
  const headlineError = useMemo(() => lastError(frames), [frames, log.version]);

  return (
    <div className="app" data-testid="playground" data-connection={state.connection}>
      <HeaderBar
        profiles={state.profiles}
        activeProfileId={state.activeProfileId}
        connection={state.connection}
        onProfileSelect={(id) => send({ type: "profile_select", profileId: id, agentId: agentId || undefined })}
        onManageProfiles={() => setProfilesOpen(true)}
        onMatrix={() => setMatrixOpen(true)}
        theme={theme}
        onThemeChange={setTheme}
        faults={faultList}
        onFaults={() => setFaultsOpen(true)}
        switchEffect={running ? `Switching restarts the agent as ${state.catalog.find((c) => c.id === agentId)?.label ?? agentId} with the new profile, in a fresh home` : "Nothing is running: switching starts no agent (press Start afterwards)"}
      />
      <NoticeList notices={state.notices} onDismiss={(id) => store.dismissNotice(id)} />
      <Workspace panes={panes} onPanesChange={setPanes}>
        <div className="sidebar">
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
          <AgentSnippets entry={state.catalog.find((c) => c.id === agentId)} />
          {state.faults ? <FaultPanel faults={state.faults} open={faultsOpen} onToggle={setFaultsOpen} onChange={(faults) => send({ type: "set_faults", faults })} /> : null}
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
            onClear={() => send({ type: "clear_runs" })}
            onReport={setReportRunId}
          />
        </div>
        <div className="center" id="main" tabIndex={-1}>
          <RunHeadline
            run={viewRun}
            current={viewingCurrent}
            lastError={headlineError}
            lastErrorInjected={headlineError ? relayMade(headlineError) : false}
            onWhy={(seq) => {
              setSelectedSeq(seq);
              openWhy(seq);
            }}
            onShowFrame={(seq) => {
              setSelectedSeq(seq);
              setSide("detail");
            }}
            onBackToCurrent={state.currentRunId && !viewingCurrent ? () => send({ type: "select_run", runId: state.currentRunId ?? "" }) : undefined}
          />
          <ActionBar
            running={running && viewingCurrent}
            actions={actions}
            authMethods={auth}
            authMethodId={authMethodId}
            sessionId={sessionId}
            promptText={promptText}
            onAuthMethodChange={setAuthMethodId}
            onPromptTextChange={setPromptText}
            onInitialize={() => pressed("initialize", initializeParams(caps, protocol))}
            onAuthenticate={() => pressed(verbs.login, { methodId: authMethodId })}
            loginMethod={verbs.login}
            protocol={<ProtocolChoice chosen={protocol} onChange={setProtocol} requested={proto.requested} negotiated={proto.negotiated} speaking={speaking} />}
            onSessionNew={() => pressed("session/new", { cwd: ctx.cwd, mcpServers: [] })}
            scenario={scenario}
            onScenarioChange={setScenario}
            onPrompt={() => sessionId && pressed("session/prompt", { sessionId, prompt: [{ type: "text", text: scenario ? `[scenario:${scenario}] ${promptText}` : promptText }] })}
            onCancel={() => sessionId && send({ type: "notify", method: "session/cancel", params: { sessionId } })}
          />
          <Composer
            templates={templates}
            text={composerText}
            running={running && viewingCurrent}
            onTextChange={setComposerText}
            onPickTemplate={(method) => {
              const t = templates.find((x) => x.method === method);
              if (t) setComposerText(renderTemplate(t, ctx));
            }}
            onSend={(text) => send({ type: "send_raw", text })}
            open={composerOpen}
            onOpenChange={setComposerOpen}
            height={composerHeight || undefined}
            onHeightChange={setComposerHeight}
          />
          <ElicitationCards
            frames={frames}
            version={log.version}
            canAct={running && viewingCurrent}
            onAnswer={(id, action, content) => send({ type: "elicitation_answer", id, action, content })}
            onSelect={setSelectedSeq}
          />
          <PermissionCards
            pending={pending.filter((f) => f.method !== "elicitation/create")}
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
              totalFrames={cleared.visible.length}
              toolbarEnd={<LogClear hidden={cleared.hidden} visible={cleared.visible.length} onClear={clearLog} onShow={showCleared} />}
              empty={emptyWhy ? <EmptyLog reason={emptyWhy} agentLabel={state.catalog.find((c) => c.id === agentId)?.label} hidden={cleared.hidden} onClearFilters={() => setFilter(EMPTY_FILTER)} onShow={showCleared} /> : null}
              filter={filter}
              methods={methods}
              selectedSeq={selectedSeq}
              onFilterChange={setFilter}
              validation={state.validation}
              onValidationChange={(v) => send({ type: "set_validation", enabled: v.enabled, unstable: v.unstable })}
              whyRows={oauthWhy?.rows}
              onWhyOAuth={openWhyOAuth}
              onWhy={(seq) => {
                setSelectedSeq(seq);
                openWhy(seq);
              }}
              onSelect={(seq) => {
                setSelectedSeq(seq);
                setSide("detail");
              }}
            />
          )}
        </div>
        <div className="right">
          <SideTabs
            label="Inspector views"
            active={side}
            onSelect={(t) => {
              setSide(t);
              if (t === "sequence") setSeqWide(false);
            }}
            tabs={[
              { id: "detail", label: "Frame" },
              { id: "transcript", label: "Transcript" },
              { id: "session", label: "Session" },
              { id: "auth", label: authFailed ? "Auth ⚠" : "Auth", ariaLabel: authFailed ? "Auth (an auth error)" : undefined },
              { id: "sequence", label: "Sequence" },
              { id: "conformance", label: "Conformance" },
            ]}
          >
          {side === "conformance" ? (
            <ConformanceView
              agentId={agentId}
              agentLabel={state.catalog.find((c) => c.id === agentId)?.label ?? agentId}
              canRun={state.catalog.find((c) => c.id === agentId)?.replay !== true}
              conformance={state.conformance}
              onRun={(protocolVersion) => send({ type: "conformance_run", agentId, protocolVersion })}
              onSelectFrame={(runId, seq) => {
                if (log.runId !== runId) send({ type: "select_run", runId });
                setSelection({ runId, value: seq });
                setSide("detail");
              }}
            />
          ) : side === "sequence" ? (
            sequence(false)
          ) : side === "auth" ? (
            <AuthPanel
              steps={steps}
              reconnectedFrom={reconnectedFrom}
              onSelectRun={(runId) => send({ type: "select_run", runId })}
              guided={guided}
              diagnosis={diagnosis}
              revealDiagnosis={whyReveal}
              onDiagnosisRevealed={() => setWhyReveal(false)}
              oauthWhy={shownOAuthWhy}
              oauthWhyOpen={whyOAuthKey !== undefined && shownOAuthWhy?.key === whyOAuthKey}
              onWhyOAuth={() => setWhyOAuthKey(shownOAuthWhy?.key)}
              oauthLabelOf={oauthLabelOf}
              flow={flow}
              runCaption={viewRun ? runCaption(viewRun) : undefined}
              terminalMethods={terminalMethods}
              loginCheck={state.loginCheck && state.loginCheck.runId === log.runId ? state.loginCheck.results : undefined}
              login={loginOfRun(state.login, state.runs.find((r) => r.runId === log.runId))}
              loginOutput={state.loginOutput}
              loginEpoch={state.loginEpoch}
              logoutAdvertised={logoutAdvertised}
              advDiff={advDiff}
              onProbe={() => send({ type: "flow", mode: "probe", agentId, cwd, caps, protocolVersion: protocol })}
              onAuto={() => send({ type: "flow", mode: "auto", agentId, cwd, caps, protocolVersion: protocol })}
              onGuided={() => {
                const a = guided.action;
                if (a.kind === "start") send({ type: "start", agentId, cwd });
                else if (a.kind === "initialize") request("initialize", initializeParams(caps, protocol));
                else if (a.kind === "session_new") request("session/new", { cwd: ctx.cwd, mcpServers: [] });
                else if (a.kind === "authenticate") request(a.method, { methodId: a.methodId });
                else if (a.kind === "env_var" && !a.needsInput) send({ type: "auth_env_start", methodId: a.methodId });
                else if (a.kind === "api_key") send({ type: "auth_key_start", methodId: a.methodId });
                else if (a.kind === "login") send({ type: "login_start", methodId: a.methodId, convention: a.convention });
              }}
              onLogin={(methodId, convention) => send({ type: "login_start", methodId, convention })}
              onLoginInput={(data) => send({ type: "login_input", data })}
              onLoginResize={(cols, rows) => send({ type: "login_resize", cols, rows })}
              onLoginCancel={() => send({ type: "login_cancel" })}
              onLogout={() => request(verbs.logout, {})}
              methods={auth}
              profileEnv={profileEnv}
              canAct={running && viewingCurrent}
              onEnvVar={(methodId, values) => send({ type: "auth_env_start", methodId, values: Object.keys(values).length > 0 ? values : undefined })}
              onApiKey={(methodId, apiKey, gateway) => send({ type: "auth_key_start", methodId, apiKey, gateway })}
              onAdvDiff={() => send({ type: "adv_diff", agentId: currentRun?.agentId ?? agentId, cwd, protocolVersion: protocol })}
              onSelect={(seq) => {
                setSelectedSeq(seq);
                setSide("detail");
              }}
            >
              <AuthStatusCard frames={frames} version={log.version} unstable={state.validation.unstable} canAct={running && viewingCurrent} onAuthStatus={() => request("auth/status", {})} onSelect={setSelectedSeq} />
              {state.validation.unstable ? (
                <ProvidersPanel
                  frames={frames}
                  version={log.version}
                  canAct={running && viewingCurrent}
                  onList={() => request("providers/list", {})}
                  onDisable={(providerId) => request("providers/disable", { providerId })}
                  onSet={(p) => send({ type: "providers_set", ...p })}
                  onSelect={setSelectedSeq}
                />
              ) : null}
            </AuthPanel>
          ) : side === "detail" ? (
            selected ? (
              <FrameDetail
                frame={selected}
                pair={pair}
                onSelect={setSelectedSeq}
                onClose={() => setSelectedSeq(undefined)}
                view={detailView}
                onViewChange={setDetailView}
                shareUrl={log.runId ? shareUrl({ runId: log.runId, frameSeq: selected.seq }) : undefined}
                onWhyOAuth={oauthWhy?.rows.has(selected.seq) ? () => openWhyOAuth(selected.seq) : undefined}
                onWhy={
                  selected.kind === "error" && selected.errorCode === -32000
                    ? () => openWhy(selected.seq)
                    : undefined
                }
              />
            ) : (
              <p className="muted pad">Click a frame to see its JSON, its raw line and its paired request or response.</p>
            )
          ) : (
            side === "session" ? (
              <>
              {state.validation.unstable ? <SessionUnstableActions sessionId={sessionId} cwd={ctx.cwd} canAct={running && viewingCurrent} onRequest={request} /> : null}
              <SessionPanel
                running={running && viewingCurrent}
                facts={facts}
                selectedSessionId={sessionId}
                policy={state.permissionPolicy}
                outstanding={outstanding(frames, Date.now())}
                fsWrites={state.fsWrites.filter((w) => w.runId === log.runId)}
                terminals={state.clientTerminals.filter((t) => t.runId === log.runId)}
                onSelectSession={setChosenSession}
                protocol={speaking}
                onRequest={request}
                onNotify={(method, params) => send({ type: "notify", method, params })}
                onPolicy={(policy) => send({ type: "set_permission_policy", policy })}
                onSelectFrame={(seq) => {
                  setSelectedSeq(seq);
                  setSide("detail");
                }}
                cwd={ctx.cwd}
              />
              </>
            ) : (
              <Transcript entries={entries} onSelect={setSelectedSeq} />
            )
          )}
          </SideTabs>
        </div>
      </Workspace>
      <StatusBar run={viewRun} connection={state.connection} shownFrames={shown.length} dropped={log.dropped} faults={faultList} />
      {matrixOpen ? (
        <MatrixView
          catalog={state.catalog}
          profiles={state.profiles}
          matrix={state.matrix}
          protocol={protocol}
          onRun={(agentIds, profileIds, prompt, protocolVersion) => send({ type: "matrix_run", agentIds, profileIds, prompt, protocolVersion })}
          onCancel={() => send({ type: "matrix_cancel" })}
          onOpenCell={(index) => {
            send({ type: "matrix_open", index });
            setMatrixOpen(false);
          }}
          onClose={() => setMatrixOpen(false)}
        />
      ) : null}
      {reportRunId ? (
        <ReportPreview
          runId={reportRunId}
          href={`/api/runs/${encodeURIComponent(reportRunId)}/report.md`}
          load={() =>
            fetch(`/api/runs/${encodeURIComponent(reportRunId)}/report.md`, { credentials: "same-origin" }).then(async (r) => {
              const text = await r.text();
              if (!r.ok) throw new Error(text.trim() || `The relay answered ${r.status}.`);
              return text;
            })
          }
          onClose={() => setReportRunId(undefined)}
        />
      ) : null}
      {profilesOpen ? (
        <ProfileManager
          profiles={state.profiles}
          activeProfileId={state.activeProfileId}
          preview={state.preview}
          check={state.check}
          result={state.profileResult}
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
