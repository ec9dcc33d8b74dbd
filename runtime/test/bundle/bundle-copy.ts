/** Test helpers: copy a cached tiny bundle into a temp folder and mutate the copy. */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleManifest } from '#runtime/bundle/manifest-schema.ts';

/** Temp bundle copies made by `copyBundle`; remove them with `removeCopies` in afterEach/afterAll. */
const copies: string[] = [];

export async function copyBundle(from: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'vibe-bundle-'));
  copies.push(root);
  const dir = join(root, 'bundle');
  await cp(from, dir, { recursive: true });
  return dir;
}

export async function removeCopies(): Promise<void> {
  const all = copies.splice(0);
  await Promise.all(all.map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function readManifest(dir: string): Promise<BundleManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
}

/** Rewrites manifest.json after `edit` changed the parsed manifest in place. */
export async function editManifest(
  dir: string,
  edit: (manifest: BundleManifest) => void,
): Promise<void> {
  const manifest = await readManifest(dir);
  edit(manifest);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** Rewrites manifest.json as raw JSON (for values the manifest type cannot express). */
export async function editManifestJson(
  dir: string,
  edit: (json: Record<string, unknown>) => void,
): Promise<void> {
  const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  edit(json);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(json, null, 2));
}

/** Updates the sha256 and byte size of `path` in the manifest to match the file on disk. */
export async function refreshFileEntry(dir: string, path: string): Promise<void> {
  const bytes = await readFile(join(dir, path));
  await editManifest(dir, (manifest) => {
    manifest.files[path] = {
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.byteLength,
    };
  });
}
