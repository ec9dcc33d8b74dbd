/**
 * `node --import tsx functions/src/openapi/write-openapi.ts [--check]`: writes docs/openapi.json
 * from buildOpenApiDocument() with the default configuration (formatted by biome, as the
 * repository's JSON is), or with `--check` exits 1 when the committed file says anything else
 * (test/openapi checks the same).
 */
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { buildOpenApiDocument } from './openapi-document.ts';

/** Where the committed document lives. */
export const OPENAPI_FILE = fileURLToPath(new URL('../../../docs/openapi.json', import.meta.url));

/** True when the committed file holds exactly the document the code generates. */
export async function openApiFileIsCurrent(): Promise<boolean> {
  const text = await readFile(OPENAPI_FILE, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'null';
    throw error;
  });
  return isDeepStrictEqual(JSON.parse(text), buildOpenApiDocument());
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--check')) {
    if (await openApiFileIsCurrent()) return 0;
    process.stderr.write(
      `${OPENAPI_FILE} is out of date; run: node --import tsx functions/src/openapi/write-openapi.ts\n`,
    );
    return 1;
  }
  await writeFile(OPENAPI_FILE, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  const formatted = spawnSync(process.execPath, [biome, 'format', '--write', OPENAPI_FILE], {
    stdio: 'inherit',
  });
  process.stderr.write(`wrote ${OPENAPI_FILE}\n`);
  return formatted.status ?? 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
