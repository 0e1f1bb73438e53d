// Building facts: run one probe, keep its value or the system error that stopped it.
// Anything that is not a system error is a bug and propagates.
import { hex } from '../knowledge/hex.js';
import { isSystemError } from '../native/errors.js';
import type { Fact, ProbeError, Source } from './types.js';

export function toProbeError(error: unknown): ProbeError {
  if (!isSystemError(error)) throw error;
  const record: ProbeError = { code: error.code, errno: error.errno, syscall: error.syscall, message: error.message };
  if (error.request !== undefined) record.request = error.request;
  if (error.path !== undefined) record.path = error.path;
  if (error.hwError !== undefined) record.hwError = hex(error.hwError);
  if (error.firmwareError !== undefined) record.firmwareError = error.firmwareError;
  return record;
}

export async function attemptAsync<T>(source: Source, probe: () => Promise<T>): Promise<Fact<T>> {
  try {
    return { source, value: await probe() };
  } catch (error) {
    return { source, error: toProbeError(error) };
  }
}

export function attempt<T>(source: Source, probe: () => T): Fact<T> {
  try {
    return { source, value: probe() };
  } catch (error) {
    return { source, error: toProbeError(error) };
  }
}

export function hasValue<T>(fact: Fact<T> | undefined): fact is { source: Source; value: T } {
  return fact !== undefined && 'value' in fact;
}
