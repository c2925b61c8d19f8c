/**
 * Flags the CLI scripts (`npm run matrix`, `flow`, `conformance`) read the same way: one wording
 * for a syntax slip and for a bad --format, --timeout, --protocol or --data-dir, so the three stay
 * in step. Each throws UsageError with the calling script's own --help hint.
 */
import path from "node:path";
import { asProtocolVersion, type ProtocolVersion } from "../lib/version";
import { FlagSyntaxError, type ReadFlag, readFlags, scriptFlagMessage } from "./cli-flags";
import { UsageError } from "./errors";
import { expandHome } from "./profiles";

/**
 * The flags in order, `--help` and `-h` read as "help"; a syntax slip is a UsageError.
 * positionalHint: what to say for a stray word (it is usually an unquoted value).
 */
export function scriptFlags(argv: readonly string[], grammar: { switches?: ReadonlySet<string>; options: ReadonlySet<string> }, positionalHint: string, seeHelp: string): ReadFlag[] {
  try {
    return readFlags(argv, { switches: grammar.switches ?? new Set(), options: grammar.options, help: ["--help", "-h"] });
  } catch (error) {
    if (!(error instanceof FlagSyntaxError)) throw error;
    throw new UsageError(...scriptFlagMessage(error.problem, positionalHint, seeHelp));
  }
}

export function formatFlag<T extends string>(value: string, formats: readonly T[]): T {
  if (!(formats as readonly string[]).includes(value)) throw new UsageError(`Unknown format "${value}".`, `Use one of: ${formats.join(", ")}.`);
  return value as T;
}

export function timeoutFlag(value: string, minMs: number, seeHelp: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < minMs) throw new UsageError(`--timeout must be a whole number of milliseconds, at least ${minMs}, not "${value}".`, seeHelp);
  return n;
}

export function protocolFlag(value: string, seeHelp: string): ProtocolVersion {
  const version = asProtocolVersion(Number(value));
  if (!version || value.trim() !== String(version)) throw new UsageError(`--protocol must be 1 or 2, not "${value}".`, seeHelp);
  return version;
}

export function dirFlag(value: string): string {
  return path.resolve(expandHome(value));
}
