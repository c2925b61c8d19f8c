/** Title, the one-click credential profile picker, the fault-injection warning and the relay connection state. */
import type { ConnectionState } from "../lib/store";
import type { ProfileView } from "../lib/wire";
import { FaultPill } from "./FaultPill";
import type { ThemeChoice } from "../lib/client/ui-prefs";
import { ThemeToggle } from "./ThemeToggle";

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  open: "● connected",
  connecting: "○ connecting",
  closed: "○ disconnected",
  refused: "○ server restarted: open the new URL",
};

export interface HeaderBarProps {
  profiles: ProfileView[];
  activeProfileId?: string;
  connection: ConnectionState;
  onProfileSelect: (id: string) => void;
  onManageProfiles: () => void;
  onMatrix: () => void;
  /** activeFaults(): the header shows a persistent pill while any is set. */
  faults?: string[];
  onFaults?: () => void;
  /** What a profile switch will do, for the picker's tooltip ("restarts Kimi Code 2.1.0", "starts nothing"). */
  switchEffect?: string;
  /** Colour theme (system / light / dark); the toggle shows when both are given. */
  theme?: ThemeChoice;
  onThemeChange?: (theme: ThemeChoice) => void;
}

export function HeaderBar(p: HeaderBarProps) {
  const active = p.profiles.find((x) => x.id === p.activeProfileId);
  return (
    <header className="header-bar">
      <h1>ACP Playground</h1>
      <label className="profile-pick" title={p.switchEffect ?? "Switching restarts a running agent in a fresh home built from the profile"}>
        <span>Profile</span>
        <select data-testid="profile-picker" value={p.activeProfileId ?? ""} onChange={(e) => p.onProfileSelect(e.target.value)}>
          {p.profiles.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name} · {x.kind}
            </option>
          ))}
        </select>
      </label>
      {active ? (
        <span className="muted sources" data-testid="profile-sources" title="Credential sources this profile provides (names only)">
          {active.sources.length ? active.sources.join(" · ") : "no credentials"}
        </span>
      ) : null}
      <button type="button" data-testid="btn-manage-profiles" onClick={p.onManageProfiles}>
        Profiles…
      </button>
      <button type="button" data-testid="btn-matrix" onClick={p.onMatrix}>
        Auth matrix…
      </button>
      <span className="spacer" />
      {p.theme && p.onThemeChange ? <ThemeToggle value={p.theme} onChange={p.onThemeChange} /> : null}
      <FaultPill faults={p.faults ?? []} testId="fault-pill" onClick={p.onFaults} />
      <span className={`conn conn-${p.connection}`} data-testid="connection" data-state={p.connection}>
        {CONNECTION_TEXT[p.connection]}
      </span>
    </header>
  );
}
