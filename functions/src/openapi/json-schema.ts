import { z } from 'zod';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** Where components live in the document; `$ref`s between named schemas point here. */
const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

/**
 * Converts named zod schemas (the ones that validate requests, and the answers' shapes) into the
 * document's `components.schemas`, with `$ref`s wherever one named schema uses another. Requests
 * are described as the API reads them (`io: 'input'`): fields with defaults are optional, and the
 * checks that zod cannot see into state their rule in `.meta()` beside the check.
 */
export function componentSchemas(
  named: Readonly<Record<string, z.ZodType>>,
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: COMPONENT_URI,
    override: ({ jsonSchema }) => tidy(jsonSchema),
  });
  const out: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    out[id] = rest;
  }
  return out;
}

/**
 * Drops what only restates the type: zod's full date-time regex beside `format: date-time`, and
 * the ±2^53 bounds of an unbounded integer.
 */
function tidy(schema: JsonSchema): void {
  if (schema.format === 'date-time') delete schema.pattern;
  if (schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
  if (schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.maxLength === Number.MAX_SAFE_INTEGER) delete schema.maxLength;
}
