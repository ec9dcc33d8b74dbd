import { BundleError } from '#core/errors.ts';

/** What is wrong with a bundle, in the terms every bundle error reports. */
export interface BundleFailure {
  /** The bundle folder. */
  readonly bundle: string;
  /** The file at fault, relative to the bundle folder (`manifest.json`, `dit.onnx`, …). */
  readonly file: string;
  /** JSON path of the manifest field at fault, e.g. `graphs.dit.inputs[2].dtype`. */
  readonly field: string;
  readonly expected: string;
  readonly found: string;
  /** What the user can do about it, appended to the message. */
  readonly hint?: string;
}

/**
 * Builds the BundleError for a failure. The message names the bundle, file, field, what was
 * expected and what was found; `details` carries the same facts for logs and API bodies.
 */
export function bundleError(
  code: 'BUNDLE_INVALID' | 'BUNDLE_MISSING',
  failure: BundleFailure,
  cause?: unknown,
): BundleError {
  const { bundle, file, field, expected, found, hint } = failure;
  const message =
    `Model bundle ${bundle} is ${code === 'BUNDLE_MISSING' ? 'incomplete' : 'invalid'}: ` +
    // Fields like "(folder)" or "(file)" mean the whole file, which the file name already says.
    `${file}${field.startsWith('(') ? '' : ` (field ${field})`}: expected ${expected} but found ${found}` +
    (hint === undefined ? '' : `. ${hint}`);
  const details = { bundle, file, field, expected, found };
  return new BundleError(code, message, cause === undefined ? { details } : { details, cause });
}

/** Formats a JSON path (`graphs.dit.inputs[2].dtype`, `files["tokenizer/tokenizer.json"]`). */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else {
      const key = String(segment);
      if (/^[A-Za-z_$][\w$]*$/.test(key)) path += path === '' ? key : `.${key}`;
      else path += `[${JSON.stringify(key)}]`;
    }
  }
  return path === '' ? '(root)' : path;
}

/** Shows a manifest value in a message: JSON, shortened when long. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
