// Text outputs (the report, check, views, diff, lifecycle, NFD and Prometheus files, messages on
// stderr) show strings read from a host: snapshot facts, files under --root, kernel-log lines,
// file names. Such a string may hold terminal escape sequences (a crafted snapshot, a module
// parameter file, a log line); written raw they would move the cursor, retitle the terminal or
// hide lines. Every text renderer passes its input through terminalSafe() before it formats and
// styles anything, so control characters arrive as visible escapes (`\x1b`) and the only escape
// sequences in the output are the colours kvm-caps adds itself. (Prometheus label values, which
// have their own newline escape, go through escapeControls where they are written.) JSON output
// is left as JSON.

/**
 * C0 and C1 controls and DEL, and the Unicode format characters that reorder text (bidi
 * embeddings, overrides and isolates, marks): they change what a terminal shows without being
 * seen themselves.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every control character shown as an escape: ESC as `\x1b`, a newline as `\n`. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/**
 * A copy of a value (a model, a check run, a diff) whose every string, keys included, went
 * through escapeControls. Plain objects and arrays are copied; anything else is kept as it is.
 * Applying it twice changes nothing: an escape has no control character left in it.
 */
export function terminalSafe<T>(value: T): T {
  return copy(value, new Map()) as T;
}

function copy(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === 'string') return escapeControls(value);
  if (typeof value !== 'object' || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copy(item, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) out[escapeControls(key)] = copy(item, seen);
  return out;
}
