import { describe, expect, it } from 'vitest';
import { parseTryEditArgs } from '#runtime/local-mode/try-edit.ts';

describe('parseTryEditArgs', () => {
  it('fills in the local server, the output name and the format', () => {
    const args = parseTryEditArgs(['shots/photo.jpg', 'make it winter'], {
      VIBE_PORT: '9000',
      VIBE_DATA_DIR: '/tmp/vibe-data',
    });

    expect(args).toEqual({
      api: 'http://127.0.0.1:9000',
      apiKey: undefined,
      dataDir: '/tmp/vibe-data',
      imagePath: 'shots/photo.jpg',
      outputPath: 'photo-edited.png',
      timeoutMs: 600_000,
      submission: { instruction: 'make it winter', output: { format: 'png' } },
    });
  });

  it('passes the edit options through', () => {
    const args = parseTryEditArgs(
      [
        'a.png',
        'add a hat',
        '--api',
        'https://api.example.com/',
        '--key',
        'vibe_k',
        '--steps',
        '8',
        '--seed',
        '7',
        '--format',
        'jpeg',
        '--quality',
        '85',
        '--lane',
        'batch',
        '-o',
        'out.jpg',
      ],
      {},
    );

    expect(args).toMatchObject({
      api: 'https://api.example.com',
      apiKey: 'vibe_k',
      outputPath: 'out.jpg',
      submission: {
        instruction: 'add a hat',
        steps: 8,
        seed: 7,
        output: { format: 'jpeg', quality: 85 },
        lane: 'batch',
      },
    });
  });

  it('refuses missing arguments and bad values, saying what is wrong', () => {
    expect(() => parseTryEditArgs(['a.png'], {})).toThrow(
      'Expected an image path and an instruction',
    );
    expect(() => parseTryEditArgs(['a.png', 'x', '--format', 'gif'], {})).toThrow(
      'Expected --format to be one of png, jpeg, webp but received "gif"',
    );
    expect(() => parseTryEditArgs(['a.png', 'x', '--steps', 'many'], {})).toThrow(
      'Expected --steps to be a number but received "many"',
    );
    expect(() => parseTryEditArgs(['a.png', 'x', '--lane', 'fast'], {})).toThrow(
      'Expected --lane to be interactive or batch but received "fast"',
    );
  });
});
