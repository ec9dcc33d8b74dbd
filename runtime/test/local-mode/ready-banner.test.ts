import { describe, expect, it } from 'vitest';
import { readyBanner } from '#runtime/local-mode/ready-banner.ts';

const base = {
  url: 'http://127.0.0.1:8787',
  dataDir: '/srv/vibe/.vibe-data',
  bundleDir: '/models/vibe',
  lanes: ['interactive', 'batch'],
  graceSeconds: 110,
  playground: false,
};
const realModel = {
  name: 'vibe',
  version: '1.0',
  synthetic: false,
  notice: '',
  precision: 'bfloat16',
};

describe('readyBanner', () => {
  it('warns loudly on the tiny test bundle and prints curl lines with the saved key', () => {
    const text = readyBanner({
      ...base,
      model: { ...realModel, name: 'vibe-tiny-test', synthetic: true },
      apiKey: { token: 'vibe_x', path: '/srv/vibe/.vibe-data/access/local-api-key', created: true },
      playground: true,
    });

    expect(text).toContain('API      http://127.0.0.1:8787');
    expect(text).toContain('TINY TEST BUNDLE');
    expect(text).toContain('NOT a real edit');
    expect(text).toContain('API key  created in /srv/vibe/.vibe-data/access/local-api-key');
    expect(text).toContain('KEY=$(cat /srv/vibe/.vibe-data/access/local-api-key)');
    expect(text).toContain(
      `id=$(curl -s -H "authorization: Bearer $KEY" http://127.0.0.1:8787/v1/edits -F image=@test/fixtures/sample/photo.jpg -F instruction='make it winter' | jq -r .id)`,
    );
    expect(text).toContain('browser  http://127.0.0.1:8787/playground');
    expect(text).not.toContain('vibe_x');
  });

  it('says nothing of a tiny bundle or keys for a real bundle with keys disabled', () => {
    const text = readyBanner({ ...base, model: realModel, apiKey: undefined });

    expect(text).not.toContain('TINY');
    expect(text).not.toContain('authorization');
    expect(text).not.toContain('KEY=');
    expect(text).toContain('model    vibe 1.0  (/models/vibe)');
    expect(text).toContain('up to 110 s');
  });
});
