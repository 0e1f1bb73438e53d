// A reported value with the source it came from, or why it is not known.
import type { Fact } from '../snapshot/types.js';
import { describeSource, explain, type Explained } from './explain.js';

export type Traced<T> =
  | { value: T; source: string }
  | { error: Explained; source: string }
  /** Not probed: a prerequisite failed (the reason says which). */
  | { missing: string };

export function trace<T, U>(fact: Fact<T> | undefined, map: (value: T) => U, missing: string): Traced<U> {
  if (fact === undefined) return { missing };
  const source = describeSource(fact.source);
  if ('error' in fact) return { error: explain(fact.source, fact.error), source };
  return { value: map(fact.value), source };
}

export function known<T>(traced: Traced<T>): T | undefined {
  return 'value' in traced ? traced.value : undefined;
}
