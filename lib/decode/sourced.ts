// A reported value with the source it came from, or why it is not known.
import type { Fact, Source } from '../snapshot/types.js';
import { probeFailure, type ProbeFailure } from './failure.js';

/**
 * A value, a failed probe, or a gap. `G` types the gaps an area explains (the words for them add
 * why, e.g. lib/check/tdx-text.ts for TDX); `missing` itself is a short statement of what was not
 * collected or not found, never an explanation or advice.
 */
export type Traced<T, G = unknown> =
  | { value: T; source: string }
  | { error: ProbeFailure; source: string }
  /** Not known: not probed (a prerequisite failed), or the fact does not say; `source` is where it was looked for. */
  | { missing: string; source?: string; gap?: G };

/** A probe that failed, with its source: the failure branch of `Traced`. */
export type TracedFailure = Extract<Traced<never>, { error: ProbeFailure }>;

/** A fact that was asked: its value or its failure, with its source (`Traced` without the gap). */
export type Probed<T> = Exclude<Traced<T>, { missing: string }>;

/** `trace` for a fact known to be there. */
export function probed<T, U>(fact: Fact<T>, map: (value: T) => U): Probed<U> {
  const source = describeSource(fact.source);
  if ('error' in fact) return { error: probeFailure(fact.source, fact.error), source };
  return { value: map(fact.value), source };
}

/** How a source is shown to a person: 'ioctl KVM_CHECK_EXTENSION on /dev/kvm', 'file /proc/cpuinfo'. */
export function describeSource(source: Source): string {
  if ('ioctl' in source) {
    const arg = source.arg === undefined ? '' : `(${source.arg})`;
    return `ioctl ${source.ioctl}${arg} on ${source.fd === 'vm' ? `a VM fd from ${source.path}` : source.path}`;
  }
  if ('file' in source) return `file ${source.file}`;
  if ('directory' in source) return `directory ${source.directory}`;
  return `${source.syscall} ${source.path}`;
}

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
  if ('error' in fact) return { error: probeFailure(fact.source, fact.error), source };
  return { value: map(fact.value), source };
}

/** Narrows a traced value to its known value. */
export function isKnown<T, G>(traced: Traced<T, G>): traced is { value: T; source: string } {
  return 'value' in traced;
}

export function known<T, G>(traced: Traced<T, G>): T | undefined {
  return 'value' in traced ? traced.value : undefined;
}

/** The known value, or null where it failed or is missing (for fields read as "value or nothing"). */
export function valueOrNull<T, G>(traced: Traced<T, G>): T | null {
  return 'value' in traced ? traced.value : null;
}

/** The failure branch of a traced value, or null where it has a value or is missing. */
export function failureOf<T, G>(traced: Traced<T, G>): TracedFailure | null {
  return 'error' in traced ? traced : null;
}
