// Structural checks for snapshot files: a bad file is refused with the path of the
// first field that is wrong, before any interpretation code sees it. Each check carries
// the JSON Schema it enforces, so the published schema (lib/snapshot/schema.ts) is built
// from the same definitions and cannot drift from what the loader accepts.
import * as schema from './schema-keywords.js';
import type { JsonSchema } from './schema-keywords.js';

export class SnapshotFormatError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'SnapshotFormatError';
    this.field = field;
  }
}

export interface Check {
  (value: unknown, field: string): void;
  /** The JSON Schema that accepts exactly what this check accepts. */
  readonly schema: JsonSchema;
}

/**
 * A check function and the schema that describes it. A schema given as a function is built
 * when first asked for: only the published schema needs them, and building every one would
 * add to the start-up of each command.
 */
export function withSchema(
  check: (value: unknown, field: string) => void,
  jsonSchema: JsonSchema | (() => JsonSchema),
): Check {
  if (typeof jsonSchema !== 'function') return Object.assign(check, { schema: jsonSchema });
  let built: JsonSchema | undefined;
  return Object.defineProperty(check, 'schema', { get: () => (built ??= jsonSchema()), enumerable: true }) as Check;
}

export const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : JSON.stringify(value);

const fail = (field: string, expected: string, value: unknown): never => {
  throw new SnapshotFormatError(field, `expected ${expected}, found ${describe(value)}`);
};

export const string: Check = withSchema((v, f) => {
  if (typeof v !== 'string') fail(f, 'a string', v);
}, schema.string);

/**
 * An RFC 3339 date-time with its offset, as Date.toISOString() writes one ("2026-03-01T10:00:00.000Z").
 * The schema says it twice: as the format (validators that check formats also reject a day
 * the month does not have) and as a pattern (for those that do not). Leap seconds (":60")
 * are not accepted: no snapshot was ever written during one.
 */
const DATE_TIME =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d' +
  '(\\.\\d+)?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';
const dateTimePattern = new RegExp(DATE_TIME);

function realDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  // Date rolls Feb 30 over into March; a real day comes back as itself. (setUTCFullYear, not
  // Date.UTC, which reads years 0-99 as 1900-1999.)
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCDate() === day;
}

export const dateTime: Check = withSchema(
  (v, f) => {
    if (typeof v !== 'string' || !dateTimePattern.test(v) || !realDay(v))
      fail(f, 'an RFC 3339 date-time like "2026-03-01T10:00:00.000Z"', v);
  },
  { type: 'string', format: 'date-time', pattern: DATE_TIME },
);

export const boolean: Check = withSchema((v, f) => {
  if (typeof v !== 'boolean') fail(f, 'a boolean', v);
}, schema.boolean);

export const integer: Check = withSchema((v, f) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, 'an integer', v);
}, schema.integer);

export const u32: Check = withSchema((v, f) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    fail(f, 'an unsigned 32-bit integer', v);
}, schema.u32);

/** A hex number of at most 64 bits: every hex field of a snapshot is a u64 or narrower. */
export const hexString: Check = withSchema((v, f) => {
  if (typeof v !== 'string' || !new RegExp(schema.HEX_U64).test(v))
    fail(f, 'a hex string of at most 64 bits, like "0x1f"', v);
}, schema.hexString);

export function literal(expected: string | number | true): Check {
  return withSchema(
    (v, f) => {
      if (v !== expected) fail(f, JSON.stringify(expected), v);
    },
    () => schema.constant(expected),
  );
}

export function nullable(check: Check): Check {
  return withSchema(
    (v, f) => {
      if (v !== null) check(v, f);
    },
    () => schema.nullable(check.schema),
  );
}

export function array(check: Check): Check {
  return withSchema(
    (v, f) => {
      if (!Array.isArray(v)) return fail(f, 'an array', v);
      v.forEach((item, i) => check(item, `${f}[${i}]`));
    },
    () => schema.array(check.schema),
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object with the given fields; names ending in '?' are optional. Unknown fields are allowed (newer writers). */
export function object(fields: Record<string, Check>): Check {
  return withSchema(
    (v, f) => {
      if (!isObject(v)) return fail(f, 'an object', v);
      for (const [spec, check] of Object.entries(fields)) {
        const optional = spec.endsWith('?');
        const key = optional ? spec.slice(0, -1) : spec;
        if (!(key in v)) {
          if (optional) continue;
          throw new SnapshotFormatError(`${f}.${key}`, 'missing');
        }
        check(v[key], `${f}.${key}`);
      }
    },
    () => schema.object(Object.fromEntries(Object.entries(fields).map(([spec, check]) => [spec, check.schema]))),
  );
}

export function record(check: Check, keyPattern?: RegExp): Check {
  return withSchema(
    (v, f) => {
      if (!isObject(v)) return fail(f, 'an object', v);
      for (const [key, item] of Object.entries(v)) {
        if (keyPattern && !keyPattern.test(key))
          throw new SnapshotFormatError(`${f}.${key}`, `unexpected key "${key}"`);
        check(item, `${f}.${key}`);
      }
    },
    () => schema.record(check.schema, keyPattern?.source),
  );
}

/** The first check that accepts the value wins; otherwise the error names every alternative. */
export function either(expected: string, ...checks: Check[]): Check {
  return withSchema(
    (v, f) => {
      for (const check of checks) {
        try {
          check(v, f);
          return;
        } catch (error) {
          if (!(error instanceof SnapshotFormatError)) throw error;
        }
      }
      fail(f, expected, v);
    },
    () => schema.either(...checks.map((check) => check.schema)),
  );
}
