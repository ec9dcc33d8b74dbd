/** Shared assertions for bundle refusal tests. */
import { expect } from 'vitest';
import { BundleError } from '#core/errors.ts';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';
import { ensureTinyBundle } from '#test/fixtures/tiny-bundle/tiny-bundle-cache.ts';
import { copyBundle, editManifest } from './bundle-copy.ts';

export interface Expected {
  code: 'BUNDLE_INVALID' | 'BUNDLE_MISSING';
  file: string;
  field: string;
  /** Substrings of details.expected and details.found. */
  expected?: string;
  found?: string;
}

/** Asserts the BundleError's code and details, and that the message names file and field. */
export async function expectRefusal(
  promise: Promise<unknown>,
  want: Expected,
): Promise<BundleError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ${want.code} refusal for ${want.field}, but the bundle loaded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  const bundleError = error as BundleError;
  expect(bundleError).toMatchObject({
    code: want.code,
    details: { file: want.file, field: want.field },
  });
  expect(bundleError.message).toContain(want.file);
  if (!want.field.startsWith('(')) expect(bundleError.message).toContain(want.field);
  if (want.expected !== undefined)
    expect(String(bundleError.details?.expected)).toContain(want.expected);
  if (want.found !== undefined) expect(String(bundleError.details?.found)).toContain(want.found);
  return bundleError;
}

export async function fp32Copy(): Promise<string> {
  return copyBundle(await ensureTinyBundle({ precision: 'float32' }));
}

export async function fp16Copy(): Promise<string> {
  return copyBundle(await ensureTinyBundle({ precision: 'float16' }));
}

export async function mutated(
  edit: (manifest: BundleManifest) => void,
  copy = fp32Copy,
): Promise<string> {
  const dir = await copy();
  await editManifest(dir, edit);
  return dir;
}
