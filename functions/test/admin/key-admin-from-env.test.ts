import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiGatewayKeyGateway } from '#core/aws/api-gateway-key-gateway.ts';
import { keyAdminFromEnv } from '#functions/admin/key-admin-from-env.ts';
import { createKey, listKeys } from '#functions/admin/keys-command.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('keyAdminFromEnv', () => {
  it('administers the local key store without a gateway in local mode', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vibe-keys-'));
    dirs.push(dataDir);

    const target = await keyAdminFromEnv({ VIBE_DATA_DIR: dataDir });
    await createKey(target.store, { name: 'ci' });
    const again = await keyAdminFromEnv({ VIBE_MODE: 'local', VIBE_DATA_DIR: dataDir });

    expect(target.gateway).toBeUndefined();
    expect((await listKeys(again.store)).map((key) => key.name)).toEqual(['ci']);
  });

  it('needs only the bucket on AWS, and the usage plans of VIBE_API_GATEWAY_STAGE when set', async () => {
    const plain = await keyAdminFromEnv({ VIBE_MODE: 'aws', VIBE_BUCKET: 'vibe-images' });
    const staged = await keyAdminFromEnv({
      VIBE_MODE: 'aws',
      VIBE_BUCKET: 'vibe-images',
      VIBE_AWS_REGION: 'eu-west-1',
      VIBE_API_GATEWAY_STAGE: 'a1b2c3d4e5/prod',
    });

    expect(plain.gateway).toBeUndefined();
    expect(staged.gateway).toBeInstanceOf(ApiGatewayKeyGateway);
  });

  it('lists every missing or invalid variable in one CONFIG_INVALID error', async () => {
    const refused = keyAdminFromEnv({ VIBE_MODE: 'aws', VIBE_API_GATEWAY_STAGE: 'prod' });

    await expect(refused).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(refused).rejects.toThrow(/2 problems/);
    await expect(refused).rejects.toThrow(/VIBE_BUCKET/);
    await expect(refused).rejects.toThrow(/VIBE_API_GATEWAY_STAGE to be <restApiId>\/<stage>/);
    await expect(keyAdminFromEnv({ VIBE_MODE: 'cloud' })).rejects.toThrow(/VIBE_MODE/);
  });
});
