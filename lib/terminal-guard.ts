/**
 * What the login terminal's xterm must not do on its own (review V-14, A18). xterm answers terminal
 * queries (device attributes, cursor position, mode and setting requests, colour queries) through
 * the same `onData` event that carries keystrokes, so a program in the pty could make every open
 * tab type into it; and OSC 8 hyperlinks / OSC 52 clipboard writes would let an agent's login
 * output open URLs or fill the clipboard. Swallowing those sequences in the parser (the most
 * recently registered handler wins; returning true stops the chain) means the answers are never
 * produced at all, which no filter of `onData` could guarantee. Isomorphic and xterm-free: it
 * takes the parser structurally, so the real xterm runs it in the browser and in Node tests.
 */

interface Disposable {
  dispose(): void;
}

interface FunctionId {
  prefix?: string;
  intermediates?: string;
  final: string;
}

/** The part of xterm's `IParser` used here. */
export interface TerminalParserLike {
  registerCsiHandler(id: FunctionId, callback: (params: (number | number[])[]) => boolean): Disposable;
  registerDcsHandler(id: FunctionId, callback: (data: string, params: (number | number[])[]) => boolean): Disposable;
  registerOscHandler(ident: number, callback: (data: string) => boolean): Disposable;
}

/** CSI sequences whose only effect in xterm is an answer on `onData`. */
const QUERY_CSI: FunctionId[] = [
  { final: "c" }, // DA1: ESC[?1;2c
  { prefix: ">", final: "c" }, // DA2
  { prefix: "=", final: "c" }, // DA3
  { final: "n" }, // DSR 5n / CPR 6n
  { prefix: "?", final: "n" }, // DECDSR / DECXCPR
  { intermediates: "$", final: "p" }, // DECRQM (ANSI modes)
  { prefix: "?", intermediates: "$", final: "p" }, // DECRQM (DEC modes)
  { prefix: ">", final: "q" }, // XTVERSION
  // Window operations: reports (CSI 14/16/18/21 t …) and window moves; nothing the login needs.
  { final: "t" },
];

/** DCS requests answered with a DCS reply: DECRQSS (`$q`), XTGETTCAP (`+q`). */
const QUERY_DCS: FunctionId[] = [
  { intermediates: "$", final: "q" },
  { intermediates: "+", final: "q" },
];

/** OSC colour commands; `?` in the data asks for a report, anything else sets a colour. */
const COLOR_OSC = [4, 10, 11, 12, 17, 19];

/** OSC commands dropped whole: 8 hyperlinks (link activation), 52 clipboard. */
const DROPPED_OSC = [8, 52];

/** Is this OSC colour payload a query (`11;?`, `4;1;?`) rather than a colour to set? */
export function isColorQuery(data: string): boolean {
  return data.split(";").some((part) => part.trim() === "?");
}

/** Register the guards on a terminal's parser; dispose the result to remove them. */
export function guardTerminalParser(parser: TerminalParserLike): Disposable {
  const handles: Disposable[] = [];
  for (const id of QUERY_CSI) handles.push(parser.registerCsiHandler(id, () => true));
  for (const id of QUERY_DCS) handles.push(parser.registerDcsHandler(id, () => true));
  for (const ident of COLOR_OSC) handles.push(parser.registerOscHandler(ident, (data) => isColorQuery(data)));
  for (const ident of DROPPED_OSC) handles.push(parser.registerOscHandler(ident, () => true));
  return { dispose: () => handles.forEach((h) => h.dispose()) };
}

/**
 * Should a tab forward this terminal input to the pty? Only a visible tab whose focus is inside the
 * terminal: keystrokes, paste and mouse reports all need that focus, and a tab in the background
 * (another tab of the same run) stays silent. Visibility rather than `document.hasFocus()`, because
 * a visible window that lost OS focus (a headless browser, a second monitor) still belongs to the
 * person typing in it.
 */
export function acceptTerminalInput(state: { documentVisible: boolean; focusInTerminal: boolean }): boolean {
  return state.documentVisible && state.focusInTerminal;
}
