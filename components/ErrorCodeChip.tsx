/**
 * A JSON-RPC error code as a chip with its name; the one-line meaning is in the title and, when
 * expanded, inline. Given the error frame, it asks lib/error-codes.ts `explainError` (code +
 * message + data + method), the same function the timeline, the diagnosis and the report use, so
 * the chip never names an error differently from "Why -32000?".
 */
import { errorData } from "../lib/auth-frames";
import { explainError } from "../lib/error-codes";
import type { Frame } from "../lib/wire";

export interface ErrorCodeChipProps {
  code: number;
  /** The error frame, when there is one: its message, data and method refine the meaning. */
  frame?: Frame;
  /** Without a frame (the diagnosis holds the facts, not the frame): the same facts given directly. */
  message?: string;
  data?: unknown;
  method?: string;
  expanded?: boolean;
}

export function ErrorCodeChip({ code, frame, message, data, method, expanded = false }: ErrorCodeChipProps) {
  const info = explainError({
    code,
    message: frame?.errorMessage ?? message,
    data: frame && code === -32000 ? errorData(frame) : data,
    method: frame?.method ?? method,
  });
  const meaning = info.note ? `${info.meaning} ${info.note}` : info.meaning;
  return (
    <span className={`error-chip origin-${info.origin}`} data-testid="error-chip" data-code={code} data-auth-required={info.authRequired ? "true" : "false"} title={meaning}>
      <span className="error-chip-code">{code}</span> <span className="error-chip-name">{info.name}</span>
      {expanded ? <span className="error-chip-meaning"> — {meaning}</span> : null}
    </span>
  );
}
