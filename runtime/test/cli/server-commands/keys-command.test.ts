import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '#test/client/helpers/local-service.ts';
import { runCli } from './run-cli.ts';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});

afterAll(() => service.close());

describe('vibe keys', () => {
  it('creates, lists and revokes keys through the API with an admin key', async () => {
    const server = ['--server', service.url, '--api-key', service.apiKey];

    const created = await runCli([
      'keys',
      'create',
      '--name',
      'ci robot',
      '--rate',
      '2',
      '--quota',
      'none',
      ...server,
    ]);
    const { key, token } = JSON.parse(created.stdout) as { key: { id: string }; token: string };
    const listed = await runCli(['keys', 'list', ...server]);
    const revoked = await runCli(['keys', 'revoke', key.id, ...server]);

    expect(created.code).toBe(0);
    expect(created.stderr).toContain('The token is shown once');
    expect(token).toMatch(new RegExp(`^vibe_${key.id}_[A-Za-z0-9_-]{43}$`));
    expect(JSON.parse(created.stdout).key).toMatchObject({
      name: 'ci robot',
      admin: false,
      revokedAt: null,
      limits: { ratePerSecond: 2, jobsPerDay: null },
    });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name)).toEqual(
      expect.arrayContaining(['local', 'ci robot']),
    );
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
  });

  it('is refused with 403 for a key that is not an admin', async () => {
    const created = await runCli([
      'keys',
      'create',
      '--name',
      'plain',
      '--server',
      service.url,
      '--api-key',
      service.apiKey,
    ]);
    const { token } = JSON.parse(created.stdout) as { token: string };

    const refused = await runCli(['keys', 'list', '--server', service.url, '--api-key', token]);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/error ACCESS_DENIED \(HTTP 403\)/);
  });

  it('works on the local data folder without a server', async () => {
    const listed = await runCli(['keys', 'list'], {
      VIBE_MODE: 'local',
      VIBE_DATA_DIR: service.dataDir,
    });

    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'local', admin: true })]),
    );
  });
});
