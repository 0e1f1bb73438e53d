// Small builders for the JSON Schemas (draft 2020-12) in this folder, so each schema reads like
// the TypeScript type (or, for the snapshot, like lib/snapshot/load.ts's checks) it describes.
// The results are plain JSON values: the .schema.json files beside them are these, serialised.

export type JsonSchema = { [keyword: string]: unknown };

export const DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/** `.invalid` (RFC 2606): an identifier that names no real host. */
export const ID_BASE = 'https://kvm-caps.invalid/schema';

export const string: JsonSchema = { type: 'string' };
export const boolean: JsonSchema = { type: 'boolean' };
export const number: JsonSchema = { type: 'number' };
/** Number.isSafeInteger. */
export const integer: JsonSchema = {
  type: 'integer',
  minimum: -Number.MAX_SAFE_INTEGER,
  maximum: Number.MAX_SAFE_INTEGER,
};
export const u32: JsonSchema = { type: 'integer', minimum: 0, maximum: 0xffffffff };
/** A hex number of at most 64 bits (leading zeros allowed): every hex field of a snapshot is a u64 or narrower. */
export const HEX_U64 = '^0x0*[0-9a-f]{1,16}$';
export const hexString: JsonSchema = { type: 'string', pattern: HEX_U64 };
export const anything: JsonSchema = {};

export const ref = (name: string): JsonSchema => ({ $ref: `#/$defs/${name}` });
export const constant = (value: string | number | boolean): JsonSchema => ({ const: value });
export const oneOfStrings = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });
export const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [{ type: 'null' }, schema] });
export const either = (...schemas: JsonSchema[]): JsonSchema => ({ anyOf: schemas });
export const array = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

/**
 * An object: `fields` names ending in '?' are optional (as in lib/snapshot/validate.ts object()).
 * Other properties are allowed unless `closed`: newer writers may add fields.
 */
export function object(
  fields: Record<string, JsonSchema>,
  options: { closed?: boolean; description?: string } = {},
): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [spec, schema] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    const key = optional ? spec.slice(0, -1) : spec;
    properties[key] = schema;
    if (!optional) required.push(key);
  }
  const out: JsonSchema = { type: 'object' };
  if (options.description !== undefined) out.description = options.description;
  out.properties = properties;
  if (required.length > 0) out.required = required;
  if (options.closed === true) out.additionalProperties = false;
  return out;
}

/** An object used as a map: every value matches `values`; keys match `keyPattern` when given. */
export function record(values: JsonSchema, keyPattern?: string): JsonSchema {
  const out: JsonSchema = { type: 'object', additionalProperties: values };
  if (keyPattern !== undefined) out.propertyNames = { pattern: keyPattern };
  return out;
}
