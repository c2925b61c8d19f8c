/**
 * The profile manager's three changing commands (save, duplicate, delete), answered to the tab
 * that asked with a profile_result event: the saved or copied profile (masked) so the form can
 * switch to editing it, or the refusal, shown inside the dialog. Errors raised here used to go out
 * as a page notice, which sat behind the dialog's backdrop where nobody could read or dismiss it.
 */
import type { ClientCommand, ServerEvent } from "../lib/wire";
import { PlaygroundError, ProfileError } from "./errors";
import type { ProfileStore } from "./profile-store";

export type ProfileCommand = Extract<ClientCommand, { type: "profile_save" | "profile_duplicate" | "profile_delete" }>;
export type ProfileResult = Extract<ServerEvent, { type: "profile_result" }>;

export interface ProfileCommandHooks {
  /** The running agent uses this profile (its home would vanish under it). */
  inUse(profileId: string): boolean;
  /** The list changed: refresh the redactor and tell every tab. */
  changed(): void;
  /** A profile is gone: remove the run homes made from it. */
  removed(profileId: string): Promise<void>;
  redact(text: string): string;
}

const ACTION = { profile_save: "save", profile_duplicate: "duplicate", profile_delete: "delete" } as const;

export async function profileCommand(store: ProfileStore, cmd: ProfileCommand, hooks: ProfileCommandHooks): Promise<ProfileResult> {
  const action = ACTION[cmd.type];
  try {
    switch (cmd.type) {
      case "profile_save": {
        const profile = await store.save(cmd.draft);
        hooks.changed();
        return { type: "profile_result", action, ok: true, profile, profileId: profile.id, created: !cmd.draft.id };
      }
      case "profile_duplicate": {
        const profile = await store.duplicate(cmd.profileId);
        hooks.changed();
        return { type: "profile_result", action, ok: true, profile, profileId: profile.id, created: true };
      }
      case "profile_delete": {
        if (hooks.inUse(cmd.profileId)) throw new ProfileError("This profile is in use by the running agent.", "Kill the agent or switch to another profile first.");
        await store.remove(cmd.profileId);
        hooks.changed();
        await hooks.removed(cmd.profileId);
        return { type: "profile_result", action, ok: true, profileId: cmd.profileId };
      }
    }
  } catch (error) {
    const e = error instanceof PlaygroundError ? error : undefined;
    const profileId = cmd.type === "profile_save" ? cmd.draft.id : cmd.profileId;
    return { type: "profile_result", action, ok: false, profileId, error: hooks.redact(e ? e.message : String((error as Error).message ?? error)), hint: e?.hint };
  }
}
