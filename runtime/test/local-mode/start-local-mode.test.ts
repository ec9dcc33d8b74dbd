import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config/parse-config.ts';
import { startLocalMode } from '#runtime/local-mode/start-local-mode.ts';

describe('startLocalMode', () => {
  it('refuses an aws configuration before it starts anything', async () => {
    const config = parseConfig({
      VIBE_MODE: 'aws',
      VIBE_BUCKET: 'vibe-test-bucket',
      VIBE_INTERACTIVE_QUEUE_URL: 'http://127.0.0.1:9/q/interactive',
      VIBE_BATCH_QUEUE_URL: 'http://127.0.0.1:9/q/batch',
      VIBE_EVENTS_QUEUE_URL: 'http://127.0.0.1:9/q/events',
    });

    await expect(startLocalMode({ config })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('Expected VIBE_MODE=local'),
    });
  });
});
