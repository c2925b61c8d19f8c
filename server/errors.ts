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

/**
 * A profile sets a variable or writes a file that the env policy (server/env-policy.ts) refuses:
 * something a loader, runtime, shell or tool would read as code. `subject` is the variable or path.
 */
export class EnvPolicyError extends ProfileError {
  readonly subject: string;
  constructor(subject: string, message: string, hint?: string) {
    super(message, hint);
    this.subject = subject;
  }
}

/** A working directory from the browser that is not an absolute path to an existing directory. */
export class WorkingDirectoryError extends PlaygroundError {}

/** A request was rejected by the guard; `status` is the HTTP status to answer with. */
export class GuardError extends PlaygroundError {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.status = status;
  }
}

/** A command-line invocation that cannot run as given (unknown flag, agent or profile). */
export class UsageError extends PlaygroundError {}

/** An expectations file for the auth matrix that cannot be read or has the wrong shape. */
export class ExpectationsError extends PlaygroundError {}

/** A login command cannot run: its executable or script is missing, or its working directory is. */
export class LoginCommandError extends PlaygroundError {}

/** A pseudo-terminal could not be opened, or a login terminal was used out of order. */
export class PtyError extends PlaygroundError {}

/**
 * An agent→client request the relay refuses (fs/*, terminal/*): carries the JSON-RPC error code
 * and data to answer with, so the agent and the frame log both see why.
 */
export class ClientMethodError extends PlaygroundError {
  readonly code: number;
  readonly data?: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** Another agent process would exceed --max-agents; the hint says how many run and how to allow more. */
export class TooManyAgentsError extends PlaygroundError {}

/** A request over one of the relay's size or count limits (line length, matrix cells, timeouts). */
export class LimitError extends PlaygroundError {}
