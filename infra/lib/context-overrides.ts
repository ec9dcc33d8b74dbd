import { settingsError } from './settings-error.ts';

/** Context key holding a whole overrides object (cdk.json `context.vibe`, or JSON on the CLI). */
export const SETTINGS_CONTEXT_KEY = 'vibe';
const PATH_PREFIX = `${SETTINGS_CONTEXT_KEY}.`;

/**
 * Collects settings overrides from CDK context: the object under `vibe` (from cdk.json, or a JSON
 * string from `-c vibe='{...}'`), then every `vibe.<path>=<value>` key, e.g.
 * `-c vibe.lanes.batch.maxTasks=64` or `-c 'vibe.gpuClasses.l4.instanceTypes=["g6.4xlarge"]'`.
 * Values that parse as JSON are used as parsed (numbers, booleans, arrays); anything else is a string.
 * Unknown paths are rejected later by `resolveSettings`.
 */
export function overridesFromContext(context: Readonly<Record<string, unknown>>): unknown {
  const base = context[SETTINGS_CONTEXT_KEY];
  const overrides: Record<string, unknown> =
    base === undefined ? {} : structuredClone(asObject(parseValue(base), SETTINGS_CONTEXT_KEY));
  const dotted = Object.keys(context)
    .filter((key) => key.startsWith(PATH_PREFIX))
    .sort();
  for (const key of dotted) {
    setPath(overrides, key.slice(PATH_PREFIX.length).split('.'), parseValue(context[key]), key);
  }
  return overrides;
}

function parseValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (error) {
    // Not JSON: a plain string such as an instance type or a domain name.
    if (error instanceof SyntaxError) return value;
    throw error;
  }
}

function asObject(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw settingsError(key, 'expected an object (or its JSON)', value);
  }
  return value as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown, key: string) {
  let node = target;
  for (const [index, part] of path.entries()) {
    if (part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype') {
      throw settingsError(key, 'expected a dotted path of setting names', key);
    }
    if (index === path.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    } else {
      node = asObject(next, key);
    }
  }
}
