import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Read size for hashing: large enough that syscalls and promise turns are noise per GB. */
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * The sha256 (lowercase hex) of a file, read in 8 MiB chunks into one reused buffer, so multi-GB
 * graph weights are hashed in constant memory.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
