/**
 * Typed errors of the relay. Each carries a `hint`: what the user should do, because every bad
 * input must say what happened *and* how to get out of it.
 */
export class PlaygroundError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** The Node runtime an agent needs is absent or too old. */
export class RuntimeMissingError extends PlaygroundError {}

/** A catalog file that cannot be read or does not have the expected shape. */
export class CatalogError extends PlaygroundError {}

/** A command names an agent that is not in the catalog. */
export class UnknownAgentError extends PlaygroundError {}

/** The agent binary does not exist or cannot be executed. */
export class AgentBinaryError extends PlaygroundError {}

/** Invalid server configuration (port, host, data dir). */
export class ConfigError extends PlaygroundError {}

/** Profile validation or storage failure. */
export class ProfileError extends PlaygroundError {}

/** A request was rejected by the guard; `status` is the HTTP status to answer with. */
export class GuardError extends PlaygroundError {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.status = status;
  }
}
