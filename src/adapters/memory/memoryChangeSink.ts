/** In-memory `ChangeSink` with the blob sink's newer-wins rule, for unit tests and simulations. */
import type { ChangeSink, ResourceState, SinkEntry, SinkWriteOutcome } from '../../lib/processing';

export class MemoryChangeSink implements ChangeSink {
  readonly states = new Map<string, ResourceState>();

  /** Tenant ids are GUIDs, one tenant in any casing, as the blob sink's names have it (`sinkBlobName`). */
  static key(tenantId: string, resourcePath: string): string {
    return `${tenantId.toLowerCase()}/${resourcePath}`;
  }

  read(tenantId: string, resourcePath: string): Promise<SinkEntry | undefined> {
    const state = this.states.get(MemoryChangeSink.key(tenantId, resourcePath));
    return Promise.resolve(state === undefined ? undefined : { observedAt: state.observedAt, etag: state.etag, deleted: state.body === undefined });
  }

  async *listChildren(tenantId: string, collectionPath: string): AsyncGenerator<{ readonly resourcePath: string; readonly entry: SinkEntry }> {
    const prefix = MemoryChangeSink.key(tenantId, `${collectionPath}/`);
    for (const [key, state] of [...this.states]) {
      if (!key.startsWith(prefix) || key.slice(prefix.length).includes('/')) continue;
      const entry = await this.read(state.tenantId, state.resourcePath);
      if (entry !== undefined) yield { resourcePath: state.resourcePath, entry };
    }
  }

  write(state: ResourceState): Promise<SinkWriteOutcome> {
    const key = MemoryChangeSink.key(state.tenantId, state.resourcePath);
    const current = this.states.get(key);
    if (current !== undefined) {
      if (current.observedAt > state.observedAt) return Promise.resolve('stale');
      if (current.observedAt === state.observedAt) {
        if ((current.body === undefined) === (state.body === undefined) && current.etag === state.etag) return Promise.resolve('unchanged');
        if (state.onSameInstant === 'refuse') return Promise.resolve('tied');
      }
    }
    this.states.set(key, state);
    return Promise.resolve('written');
  }
}
