/**
 * Credential profiles, in one import for the relay: kinds and validation (profile-kinds), storage
 * (profile-store), the manager's save/duplicate/delete answers (profile-commands), and turning a
 * profile into an agent home (materialize). Split by concern so each part stays small; this file
 * only re-exports.
 */
export {
  expandHome,
  homeSecrets,
  importOAuthToken,
  IN_PLACE_WARNING,
  isSecretField,
  KIMI_PROVIDERS,
  type KimiProvider,
  maskFields,
  normalizeOAuthToken,
  PLATFORM_BASE_URLS,
  PROFILE_KINDS,
  profileSecrets,
  profileSources,
  restoreSecrets,
  type StoredProfile,
  toView,
  validateFields,
} from "./profile-kinds";
export { OFFLINE_DEMO_ID, ProfileStore, writeFileAtomic } from "./profile-store";
export { profileCommand, type ProfileCommand, type ProfileCommandHooks, type ProfileResult } from "./profile-commands";
export {
  type DoctorResult,
  type HomePlan,
  kimiMainPath,
  materialize,
  type MaterializedHome,
  type MaterializeOptions,
  planHome,
  type PlannedFile,
  type ProfilePreview,
  previewProfile,
  runDoctor,
} from "./materialize";
