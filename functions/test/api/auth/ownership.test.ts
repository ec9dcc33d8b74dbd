import { describe, expect, it } from 'vitest';
import { uploadKey } from '#core/jobs/storage-keys.ts';
import { call, jsonRequest, useTempRoot } from '../../helpers/api-harness.ts';
import { pngImage } from '../../helpers/images.ts';
import { as, createKeyedHarness, submitAs } from './keyed-harness.ts';

const tempDir = useTempRoot('owner');

describe('every job and upload belongs to a key', () => {
  it('stores the key id as the owner; another key gets 404 for the job and its cancel', async () => {
    const h = createKeyedHarness(tempDir());
    const alice = await h.newKey({ name: 'alice' });
    const bob = await h.newKey({ name: 'bob' });
    const { json } = await submitAs(h, alice.token);

    const bobGet = await call(h.app, as(bob.token, jsonRequest('GET', `/v1/edits/${json.id}`)));
    const bobCancel = await call(
      h.app,
      as(bob.token, jsonRequest('POST', `/v1/edits/${json.id}/cancel`)),
    );
    const aliceGet = await call(h.app, as(alice.token, jsonRequest('GET', `/v1/edits/${json.id}`)));

    expect((await h.jobs.get(json.id))?.owner).toBe(alice.id);
    expect(bobGet.status).toBe(404);
    expect(bobGet.json.error.code).toBe('NOT_FOUND');
    // The same answer as for an id that never existed: existence is not revealed.
    expect(bobGet.json.error.message).toBe(
      `Expected the id of a submitted edit but no job "${json.id}" exists`,
    );
    expect(bobCancel.status).toBe(404);
    expect((await h.jobs.get(json.id))?.status).toBe('queued');
    expect(aliceGet.status).toBe(200);
  });

  it('lets only the key that created an upload submit it; another key gets 404 UPLOAD_NOT_FOUND', async () => {
    const h = createKeyedHarness(tempDir());
    const alice = await h.newKey({ name: 'alice' });
    const bob = await h.newKey({ name: 'bob' });
    const { json: ticket } = await call(h.app, as(alice.token, jsonRequest('POST', '/v1/uploads')));
    await h.blobs.put(uploadKey(ticket.uploadId), await pngImage(), { contentType: 'image/png' });
    const body = { image: { uploadId: ticket.uploadId }, instruction: 'add a hat' };

    const byBob = await call(h.app, as(bob.token, jsonRequest('POST', '/v1/edits', body)));
    const byAlice = await call(h.app, as(alice.token, jsonRequest('POST', '/v1/edits', body)));

    expect(byBob.status).toBe(404);
    expect(byBob.json.error).toMatchObject({
      code: 'UPLOAD_NOT_FOUND',
      details: { uploadId: ticket.uploadId },
    });
    expect(byAlice.status).toBe(202);
  });
});
