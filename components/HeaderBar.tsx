/** Title, the one-click credential profile picker, and the relay connection state. */
import type { ConnectionState } from "../lib/store";
import type { ProfileView } from "../lib/wire";

export interface HeaderBarProps {
  profiles: ProfileView[];
  activeProfileId?: string;
  connection: ConnectionState;
  onProfileSelect: (id: string) => void;
  onManageProfiles: () => void;
  onMatrix: () => void;
}

export function HeaderBar(p: HeaderBarProps) {
  const active = p.profiles.find((x) => x.id === p.activeProfileId);
  return (
    <header className="header-bar">
      <h1>ACP Playground</h1>
      <label className="profile-pick" title="Switching restarts the agent in a fresh home built from the profile">
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
      <span className={`conn conn-${p.connection}`} data-testid="connection" data-state={p.connection}>
        {p.connection === "open" ? "● connected" : p.connection === "connecting" ? "○ connecting" : "○ disconnected"}
      </span>
    </header>
  );
}
