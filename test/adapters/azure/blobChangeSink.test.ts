import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { createBlobChangeSink } from '../../../src/adapters/azure/blobChangeSink';
import { normalizeResourcePath, sinkBlobName } from '../../../src/lib/resources';
import { peekAllMessages } from '../../support/queues';
import { azuriteConnectionString, storageQueueSender, uniqueName } from '../../support/storage';
import { path, state, tenantId } from '../contracts/changeSink.contract';

function setup(withEvents = false) {
  const connectionString = azuriteConnectionString();
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(uniqueName('sink'));
  const eventsQueue = uniqueName('changes');
  const events = withEvents ? storageQueueSender(connectionString, eventsQueue) : undefined;
  return { container, sink: createBlobChangeSink(container, events), eventsQueue, connectionString };
}

async function readBlob(container: ReturnType<typeof setup>['container'], name: string) {
  const client = container.getBlockBlobClient(name);
  const [body, properties] = await Promise.all([client.downloadToBuffer(), client.getProperties()]);
  return {
    json: JSON.parse(body.toString('utf8')) as unknown,
    metadata: properties.metadata,
    contentType: properties.contentType,
  };
}

/** What only the blob sink does; the behaviour every sink shares is test/adapters/contracts/changeSink.contract.ts. */
describe('blob change sink (Azurite)', () => {
  it('writes one JSON blob per resource at {tenantId}/{path}.json with the documented metadata', async () => {
    const { container, sink } = setup();

    expect(await sink.write(state())).toBe('written');
    const blob = await readBlob(container, sinkBlobName(tenantId, path));

    expect(sinkBlobName(tenantId, path)).toBe(`${tenantId}/users/u1/messages/AAMk=.json`);
    expect(blob.json).toEqual({ id: 'AAMk=', subject: 'hello' });
    expect(blob.contentType).toBe('application/json');
    expect(blob.metadata).toEqual({
      changetype: 'updated',
      subscriptionid: 'sub-1',
      etag: 'W/"1"',
      observedat: '2026-05-01T10:00:05.000Z',
      receivedat: '2026-05-01T10:00:00.000Z',
      deleted: 'false',
    });
    expect(await sink.read(tenantId, path)).toEqual({
      observedAt: '2026-05-01T10:00:05.000Z',
      etag: 'W/"1"',
      deleted: false,
    });
  });

  it('reads observedAt from fetchedat on blobs written before the key was renamed, and renames it on the next write', async () => {
    const { container, sink } = setup();
    const name = sinkBlobName(tenantId, path);
    const content = JSON.stringify({ id: 'AAMk=', subject: 'old' });
    await container.createIfNotExists();
    await container.getBlockBlobClient(name).upload(content, content.length, {
      metadata: {
        changetype: 'updated',
        subscriptionid: 'sub-1',
        etag: 'W/"1"',
        fetchedat: '2026-05-01T10:00:05.000Z',
        receivedat: '',
        deleted: 'false',
      },
    });

    const entry = await sink.read(tenantId, path);
    const older = await sink.write(state({ observedAt: '2026-05-01T10:00:04.000Z', etag: 'W/"0"' }));
    const newer = await sink.write(state({ observedAt: '2026-05-01T10:00:09.000Z', etag: 'W/"2"' }));

    expect(entry).toEqual({ observedAt: '2026-05-01T10:00:05.000Z', etag: 'W/"1"', deleted: false });
    expect(older).toBe('stale');
    expect(newer).toBe('written');
    expect((await readBlob(container, name)).metadata).toMatchObject({ observedat: '2026-05-01T10:00:09.000Z' });
    expect((await readBlob(container, name)).metadata).not.toHaveProperty('fetchedat');
  });

  it('writes a tombstone for a deleted resource', async () => {
    const { container, sink } = setup();

    await sink.write(state({ body: undefined, changeType: 'deleted', etag: undefined }));
    const blob = await readBlob(container, sinkBlobName(tenantId, path));

    expect(blob.json).toEqual({ id: 'AAMk=', '@removed': { reason: 'deleted' } });
    expect(blob.metadata).toMatchObject({ deleted: 'true', changetype: 'deleted' });
  });

  it('forwards a compact change event for each write when the change-event queue is on', async () => {
    const { sink, eventsQueue, connectionString } = setup(true);

    await sink.write(state());
    await sink.write(state());
    const events = (await peekAllMessages(connectionString, eventsQueue)).map((text) => JSON.parse(text) as unknown);

    expect(events).toEqual([
      {
        v: 1,
        tenantId,
        resource: path,
        changeType: 'updated',
        deleted: false,
        etag: 'W/"1"',
        observedAt: '2026-05-01T10:00:05.000Z',
        receivedAt: '2026-05-01T10:00:00.000Z',
        subscriptionId: 'sub-1',
        blobName: sinkBlobName(tenantId, path),
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('hello');
  });

  it("writes one blob for a tenant id in any casing, and stores paths beyond Azure's name limits under a hashed name", async () => {
    const { container, sink } = setup();
    const upper = state({
      tenantId: tenantId.toUpperCase(),
      observedAt: '2026-05-01T10:00:06.000Z',
      body: { id: 'AAMk=', subject: 'newer' },
    });
    const longPath = `users/u1/messages/${'m'.repeat(1_100)}`;
    const oddPath = normalizeResourcePath("users('u1')/messages('a#b?c\ud800')");

    expect(await sink.write(state())).toBe('written');
    expect(await sink.write(upper)).toBe('written');
    expect(await sink.write(state({ resourcePath: longPath }))).toBe('written');
    expect(await sink.write(state({ resourcePath: oddPath }))).toBe('written');

    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toHaveLength(3);
    expect(names.every((name) => name.startsWith(`${tenantId}/`) && name.length <= 1024)).toBe(true);
    expect((await readBlob(container, sinkBlobName(tenantId, path))).json).toMatchObject({ subject: 'newer' });
    expect(await sink.read(tenantId, longPath)).toMatchObject({ deleted: false });
    expect(await sink.read(tenantId, oddPath)).toMatchObject({ deleted: false });
  });
});
