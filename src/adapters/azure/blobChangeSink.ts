/**
 * The default `ChangeSink`: mirrors resources into Blob Storage, one JSON blob per resource at
 * `{tenantId}/{resource path}.json` (`sinkBlobName`, docs/sink.md). The body is Graph's JSON, or a tombstone
 * `{"id": …, "@removed": {"reason": "deleted"}}` for a deleted resource. Metadata: changetype,
 * subscriptionid, etag, fetchedat (when the state was observed), receivedat, deleted.
 *
 * Newer wins: a write first reads the blob's `fetchedat` and drops itself if the blob holds newer state;
 * otherwise it uploads conditionally on the ETag it read (or on the blob not existing), and starts over if
 * another writer got in between. Replays and reordering therefore never roll a resource back.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { ChangeSink, ResourceState, SinkEntry, SinkWriteOutcome } from '../../lib/processing';
import { decodeResourceId, sinkBlobName } from '../../lib/resources';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender } from '../../lib/storage';
import { once, statusOf } from './storageClients';

/** Attempts at a conditional write before giving up (each lost race means another writer made progress). */
const MAX_WRITE_ATTEMPTS = 8;

export function tombstoneFor(resourcePath: string): Record<string, unknown> {
  const id = resourcePath.split('/').at(-1) ?? resourcePath;
  return { id: decodeResourceId(id), '@removed': { reason: 'deleted' } };
}

function entryOf(metadata: Record<string, string> | undefined): SinkEntry | undefined {
  const observedAt = metadata?.fetchedat;
  if (metadata === undefined || observedAt === undefined) return undefined;
  return { observedAt, etag: metadata.etag === '' ? undefined : metadata.etag, deleted: metadata.deleted === 'true' };
}

/** Metadata values must be ASCII header values. */
const ascii = (value: string | undefined): string => (value ?? '').replace(/[^\x20-\x7e]/g, '?');

export function createBlobChangeSink(container: ContainerClient, changeEvents?: MessageSender): ChangeSink {
  const ensureContainer = once(() => container.createIfNotExists());

  async function readProperties(blobName: string): Promise<{ etag: string; entry: SinkEntry | undefined } | undefined> {
    try {
      const properties = await container.getBlockBlobClient(blobName).getProperties();
      return { etag: properties.etag ?? '', entry: entryOf(properties.metadata) };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new StorageUnavailable(`read sink blob ${blobName}`, { cause: error });
    }
  }

  return {
    async read(tenantId, resourcePath) {
      return (await readProperties(sinkBlobName(tenantId, resourcePath)))?.entry;
    },

    async *listChildren(tenantId, collectionPath) {
      const tenantFolder = sinkBlobName(tenantId, '').replace(/\.json$/, '');
      const prefix = `${tenantFolder}${collectionPath}/`;
      const blobs = container.listBlobsFlat({ prefix, includeMetadata: true });
      for (;;) {
        let next: Awaited<ReturnType<typeof blobs.next>>;
        try {
          next = await blobs.next();
        } catch (error) {
          if (statusOf(error) === 404) return;
          throw new StorageUnavailable(`list sink blobs under ${collectionPath}`, { cause: error });
        }
        if (next.done === true) return;
        const name = next.value.name.slice(prefix.length);
        const entry = entryOf(next.value.metadata);
        if (name.includes('/') || !name.endsWith('.json') || entry === undefined) continue;
        yield { resourcePath: `${collectionPath}/${name.slice(0, -'.json'.length)}`, entry };
      }
    },

    async write(state: ResourceState): Promise<SinkWriteOutcome> {
      await ensureContainer().catch((error: unknown) => {
        throw new StorageUnavailable('create sink container', { cause: error });
      });
      const blobName = sinkBlobName(state.tenantId, state.resourcePath);
      const deleted = state.body === undefined;
      const content = Buffer.from(JSON.stringify(state.body ?? tombstoneFor(state.resourcePath)), 'utf8');
      const metadata = {
        changetype: ascii(state.changeType),
        subscriptionid: ascii(state.subscriptionId),
        etag: ascii(state.etag),
        fetchedat: state.observedAt,
        receivedat: state.receivedAt ?? '',
        deleted: String(deleted),
      };
      for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
        const current = await readProperties(blobName);
        if (current?.entry !== undefined) {
          if (current.entry.observedAt > state.observedAt) return 'stale';
          if (current.entry.observedAt === state.observedAt) {
            if (current.entry.deleted === deleted && current.entry.etag === state.etag) return 'unchanged';
            if (state.onSameInstant === 'refuse') return 'tied';
          }
        }
        try {
          await container.getBlockBlobClient(blobName).upload(content, content.byteLength, {
            metadata,
            blobHTTPHeaders: { blobContentType: 'application/json' },
            conditions: current === undefined ? { ifNoneMatch: '*' } : { ifMatch: current.etag },
          });
        } catch (error) {
          const status = statusOf(error);
          if (status === 409 || status === 412) continue;
          throw new StorageUnavailable(`write sink blob ${blobName}`, { cause: error });
        }
        await changeEvents?.send(
          JSON.stringify({
            v: 1,
            tenantId: state.tenantId,
            resource: state.resourcePath,
            changeType: state.changeType,
            deleted,
            etag: state.etag ?? null,
            observedAt: state.observedAt,
            receivedAt: state.receivedAt ?? null,
            subscriptionId: state.subscriptionId ?? null,
            blobName,
          }),
        );
        return 'written';
      }
      throw new StorageUnavailable(`write sink blob ${blobName} (lost ${MAX_WRITE_ATTEMPTS} races to other writers)`);
    },
  };
}
