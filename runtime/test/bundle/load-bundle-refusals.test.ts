import { appendFile, copyFile, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBundle } from '#runtime/bundle/load-bundle.ts';
import { editManifestJson, refreshFileEntry, removeCopies } from './bundle-copy.ts';
import { expectRefusal, fp32Copy, mutated } from './expect-refusal.ts';

afterAll(removeCopies);

describe('loadBundle refuses', () => {
  it('a missing folder, and says how to get a bundle', async () => {
    const dir = join(tmpdir(), 'vibe-no-such-bundle-h1');
    const error = await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_MISSING',
      file: dir,
      field: '(folder)',
      found: 'nothing',
    });
    expect(error.message).toContain('docs/model-bundle.md');
    expect(error.message).toContain('npm run tiny-bundle');
  });

  it('a missing manifest.json', async () => {
    const dir = await fp32Copy();
    await rm(join(dir, 'manifest.json'));
    const error = await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_MISSING',
      file: 'manifest.json',
      field: '(file)',
      found: 'nothing',
    });
    expect(error.message).toContain('docs/model-bundle.md');
  });

  it('a manifest that is not JSON', async () => {
    const dir = await fp32Copy();
    await writeFile(join(dir, 'manifest.json'), '{ "manifestVersion": 1,');
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: '(root)',
      expected: 'valid JSON',
    });
  });

  it('an unknown manifestVersion, naming the supported versions', async () => {
    const dir = await fp32Copy();
    await editManifestJson(dir, (json) => {
      json.manifestVersion = 2;
    });
    const error = await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'manifestVersion',
      expected: 'supported versions 1',
      found: '2',
    });
    expect(error.message).toMatch(/supported versions 1 but found 2/);
  });

  it('a missing file', async () => {
    const dir = await fp32Copy();
    await rm(join(dir, 'dit.onnx'));
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_MISSING',
      file: 'dit.onnx',
      field: 'files["dit.onnx"]',
      found: 'nothing',
    });
  });

  it('a checksum mismatch (one flipped byte)', async () => {
    const dir = await fp32Copy();
    const handle = await open(join(dir, 'connector.onnx'), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 5000);
    await handle.write(Buffer.of(byte[0]! ^ 0x01), 0, 1, 5000);
    await handle.close();
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'connector.onnx',
      field: 'files["connector.onnx"].sha256',
      found: 'corrupt',
    });
  });

  it('a file of the wrong size, before hashing anything', async () => {
    const dir = await fp32Copy();
    await appendFile(join(dir, 'tokenizer', 'tokenizer.json'), ' ');
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'tokenizer/tokenizer.json',
      field: 'files["tokenizer/tokenizer.json"].bytes',
    });
  });

  it.each([
    ['../outside/chat_template.json'],
    ['/etc/chat_template.json'],
    ['tokenizer\\chat_template.json'],
    ['tokenizer/./chat_template.json'],
  ])('a path escaping the folder or breaking the path rules: %s', async (path) => {
    const dir = await mutated((m) => {
      m.tokenizer.chatTemplate = path;
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'tokenizer.chatTemplate',
      expected: 'relative path inside the bundle',
      found: JSON.stringify(path),
    });
  });

  it('a symlink that leaves the folder, even with the right checksum', async () => {
    const dir = await fp32Copy();
    const outside = join(dir, '..', 'outside-chat-template.json');
    await copyFile(join(dir, 'tokenizer', 'chat_template.json'), outside);
    await rm(join(dir, 'tokenizer', 'chat_template.json'));
    await symlink(outside, join(dir, 'tokenizer', 'chat_template.json'));
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'tokenizer/chat_template.json',
      field: 'files["tokenizer/chat_template.json"]',
      expected: 'inside the bundle folder',
    });
  });

  it('a referenced file that is not listed in files', async () => {
    const dir = await mutated((m) => {
      delete m.files['hid_null.f32'];
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'files["hid_null.f32"]',
      expected: 'constants.hid_null.file',
    });
  });

  it('manifest.json listed among its own files', async () => {
    const dir = await mutated((m) => {
      m.files['manifest.json'] = { sha256: '0'.repeat(64), bytes: 1 };
    });
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'files["manifest.json"]',
      expected: 'except manifest.json',
    });
  });

  it('a bundle path that is a file, not a folder', async () => {
    const dir = await fp32Copy();
    const path = join(dir, 'manifest.json');
    await expectRefusal(loadBundle(path), {
      code: 'BUNDLE_MISSING',
      file: path,
      field: '(folder)',
      found: 'a file',
    });
  });

  it('a constant file whose size does not match its dims, even with a matching checksum', async () => {
    const dir = await fp32Copy();
    await writeFile(join(dir, 'hid_null.f32'), Buffer.alloc(224 * 2048 * 4));
    await refreshFileEntry(dir, 'hid_null.f32');
    await expectRefusal(loadBundle(dir), {
      code: 'BUNDLE_INVALID',
      file: 'manifest.json',
      field: 'files["hid_null.f32"].bytes',
      expected: '2064384 bytes',
      found: '1835008 bytes',
    });
  });
});
