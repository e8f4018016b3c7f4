/**
 * The default `ChangeSink`: mirrors resources into Blob Storage, one JSON blob per resource at
 * `{tenantId}/{resource path}.json` (`sinkBlobName`, docs/sink.md). The body is Graph's JSON, or a tombstone
 * `{"id": …, "@removed": {"reason": "deleted"}}` for a deleted resource. Metadata: changetype,
 * subscriptionid, etag, observedat (when the state was known to be true), receivedat, deleted.
 *
 * Newer wins (`decideSinkWrite`): a write first reads the blob's metadata and drops itself if the blob holds
 * newer state; otherwise it uploads conditionally on the ETag it read (or on the blob not existing), and
 * starts over if another writer got in between. Replays and reordering therefore never roll a resource back.
 */
import type { ContainerClient } from '@azure/storage-blob';
import {
  decideSinkWrite,
  type ChangeSink,
  type ResourceState,
  type SinkEntry,
  type SinkWriteOutcome,
} from '../../lib/processing';
import { decodeResourceId, sinkBlobName } from '../../lib/resources';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender } from '../../lib/storage';
import { once, statusOf } from './storageClients';

/** Attempts at a conditional write before giving up (each lost race means another writer made progress). */
const MAX_WRITE_ATTEMPTS = 8;

/**
 * The metadata key holding `observedAt`. Blobs written before it was named honestly hold the same instant
 * under `fetchedat`; it is still read, and the next write of such a blob replaces it.
 */
const OBSERVED_AT = 'observedat';
const OBSERVED_AT_BEFORE_RENAME = 'fetchedat';

export function tombstoneFor(resourcePath: string): Record<string, unknown> {
  const id = resourcePath.split('/').at(-1) ?? resourcePath;
  return { id: decodeResourceId(id), '@removed': { reason: 'deleted' } };
}

function entryOf(metadata: Record<string, string> | undefined): SinkEntry | undefined {
  const observedAt = metadata?.[OBSERVED_AT] ?? metadata?.[OBSERVED_AT_BEFORE_RENAME];
  if (metadata === undefined || observedAt === undefined) return undefined;
  return { observedAt, etag: metadata.etag === '' ? undefined : metadata.etag, deleted: metadata.deleted === 'true' };
}

/** Metadata values must be ASCII header values. */
const ascii = (value: string | undefined): string => (value ?? '').replace(/[^\x20-\x7e]/g, '?');

function metadataOf(state: ResourceState): Record<string, string> {
  return {
    changetype: ascii(state.changeType),
    subscriptionid: ascii(state.subscriptionId),
    etag: ascii(state.etag),
    [OBSERVED_AT]: state.observedAt,
    receivedat: state.receivedAt ?? '',
    deleted: String(state.body === undefined),
  };
}

/** The message a written state puts on the change-events queue (docs/sink.md). */
function changeEventOf(state: ResourceState, blobName: string): string {
  return JSON.stringify({
    v: 1,
    tenantId: state.tenantId,
    resource: state.resourcePath,
    changeType: state.changeType,
    deleted: state.body === undefined,
    etag: state.etag ?? null,
    observedAt: state.observedAt,
    receivedAt: state.receivedAt ?? null,
    subscriptionId: state.subscriptionId ?? null,
    blobName,
  });
}

interface HeldBlob {
  /** The blob's ETag, for the conditional upload. */
  readonly etag: string;
  readonly entry: SinkEntry | undefined;
}

async function readHeldBlob(container: ContainerClient, blobName: string): Promise<HeldBlob | undefined> {
  try {
    const properties = await container.getBlockBlobClient(blobName).getProperties();
    return { etag: properties.etag ?? '', entry: entryOf(properties.metadata) };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw new StorageUnavailable(`read sink blob ${blobName}`, { cause: error });
  }
}

async function* listChildBlobs(
  container: ContainerClient,
  tenantId: string,
  collectionPath: string,
): AsyncGenerator<{ readonly resourcePath: string; readonly entry: SinkEntry }> {
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
}

/** Uploads the state unless the blob holds newer state; a lost race with another writer starts over. */
async function uploadIfNewer(
  container: ContainerClient,
  blobName: string,
  state: ResourceState,
): Promise<SinkWriteOutcome> {
  const content = Buffer.from(JSON.stringify(state.body ?? tombstoneFor(state.resourcePath)), 'utf8');
  const metadata = metadataOf(state);
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
    const held = await readHeldBlob(container, blobName);
    const decision = decideSinkWrite(held?.entry, state);
    if (decision !== 'write') return decision;
    try {
      await container.getBlockBlobClient(blobName).upload(content, content.byteLength, {
        metadata,
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: held === undefined ? { ifNoneMatch: '*' } : { ifMatch: held.etag },
      });
      return 'written';
    } catch (error) {
      const status = statusOf(error);
      if (status !== 409 && status !== 412)
        throw new StorageUnavailable(`write sink blob ${blobName}`, { cause: error });
    }
  }
  throw new StorageUnavailable(`write sink blob ${blobName} (lost ${MAX_WRITE_ATTEMPTS} races to other writers)`);
}

export function createBlobChangeSink(container: ContainerClient, changeEvents?: MessageSender): ChangeSink {
  const ensureContainer = once(() => container.createIfNotExists());
  return {
    async read(tenantId, resourcePath) {
      return (await readHeldBlob(container, sinkBlobName(tenantId, resourcePath)))?.entry;
    },

    listChildren: (tenantId, collectionPath) => listChildBlobs(container, tenantId, collectionPath),

    async write(state: ResourceState): Promise<SinkWriteOutcome> {
      await ensureContainer().catch((error: unknown) => {
        throw new StorageUnavailable('create sink container', { cause: error });
      });
      const blobName = sinkBlobName(state.tenantId, state.resourcePath);
      const outcome = await uploadIfNewer(container, blobName, state);
      if (outcome === 'written') await changeEvents?.send(changeEventOf(state, blobName));
      return outcome;
    },
  };
}
