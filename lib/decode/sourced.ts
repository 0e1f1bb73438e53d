// A reported value with the source it came from, or why it is not known.
import type { Fact } from '../snapshot/types.js';
import { describeSource, explain, type Explained } from './explain.js';

export type Traced<T> =
  | { value: T; source: string }
  | { error: Explained; source: string }
  /** Not known: not probed (a prerequisite failed), or the fact does not say; `source` is where it was looked for. */
  | { missing: string; source?: string };

/**
 * One fact read from a kernel log line: a known `Traced` value whose `source` names the log and
 * quotes the line, plus the line as given and its position in the input.
 */
export type LogFact<T> = Extract<Traced<T>, { value: unknown }> & { line: string; index: number };

/** `detail` narrows the source to the part of the fact used, e.g. one capability of a batch. */
export function trace<T, U>(
  fact: Fact<T> | undefined,
  map: (value: T) => U,
  missing: string,
  detail?: string,
): Traced<U> {
  if (fact === undefined) return { missing };
  const source = detail === undefined ? describeSource(fact.source) : `${describeSource(fact.source)} (${detail})`;
  if ('error' in fact) return { error: explain(fact.source, fact.error), source };
  return { value: map(fact.value), source };
}

/** Narrows a traced value to its known value. */
export function isKnown<T>(traced: Traced<T>): traced is { value: T; source: string } {
  return 'value' in traced;
}

export function known<T>(traced: Traced<T>): T | undefined {
  return 'value' in traced ? traced.value : undefined;
}
