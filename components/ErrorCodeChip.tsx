/** A JSON-RPC error code as a chip with its name; the one-line meaning is in the title and, when expanded, inline. */
import { describeErrorCode } from "../lib/error-codes";

export interface ErrorCodeChipProps {
  code: number;
  expanded?: boolean;
}

export function ErrorCodeChip({ code, expanded = false }: ErrorCodeChipProps) {
  const info = describeErrorCode(code);
  return (
    <span className={`error-chip origin-${info.origin}`} data-testid="error-chip" data-code={code} title={info.meaning}>
      <span className="error-chip-code">{code}</span> <span className="error-chip-name">{info.name}</span>
      {expanded ? <span className="error-chip-meaning"> — {info.meaning}</span> : null}
    </span>
  );
}
