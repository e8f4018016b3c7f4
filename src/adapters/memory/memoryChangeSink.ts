/** In-memory `ChangeSink` for unit tests and simulations; newer wins by `decideSinkWrite`, as in the blob sink. */
import {
  decideSinkWrite,
  type ChangeSink,
  type ResourceState,
  type SinkEntry,
  type SinkWriteOutcome,
} from '../../lib/processing';

export class MemoryChangeSink implements ChangeSink {
  readonly states = new Map<string, ResourceState>();

  /** Tenant ids are GUIDs, one tenant in any casing, as the blob sink's names have it (`sinkBlobName`). */
  static key(tenantId: string, resourcePath: string): string {
    return `${tenantId.toLowerCase()}/${resourcePath}`;
  }

  read(tenantId: string, resourcePath: string): Promise<SinkEntry | undefined> {
    return Promise.resolve(entryOf(this.states.get(MemoryChangeSink.key(tenantId, resourcePath))));
  }

  async *listChildren(
    tenantId: string,
    collectionPath: string,
  ): AsyncGenerator<{ readonly resourcePath: string; readonly entry: SinkEntry }> {
    const prefix = MemoryChangeSink.key(tenantId, `${collectionPath}/`);
    for (const [key, state] of [...this.states]) {
      if (!key.startsWith(prefix) || key.slice(prefix.length).includes('/')) continue;
      const entry = await this.read(state.tenantId, state.resourcePath);
      if (entry !== undefined) yield { resourcePath: state.resourcePath, entry };
    }
  }

  write(state: ResourceState): Promise<SinkWriteOutcome> {
    const key = MemoryChangeSink.key(state.tenantId, state.resourcePath);
    // Decided and stored without an await between, so concurrent writes cannot interleave.
    const decision = decideSinkWrite(entryOf(this.states.get(key)), state);
    if (decision !== 'write') return Promise.resolve(decision);
    this.states.set(key, state);
    return Promise.resolve('written');
  }
}

function entryOf(state: ResourceState | undefined): SinkEntry | undefined {
  return state === undefined
    ? undefined
    : { observedAt: state.observedAt, etag: state.etag, deleted: state.body === undefined };
}
