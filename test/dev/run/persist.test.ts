/**
 * `npm run dev -- --persist`: storage survives a restart, but the simulator starts fresh every run, so
 * the subscriptions table still lists subscriptions the new simulator has never heard of. The second run
 * removes them through the management API and creates the demo subscriptions again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from '../../../dev/run';

let pipeline: LocalPipeline | undefined;
let folder: string | undefined;

afterEach(async () => {
  await pipeline?.stop();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  pipeline = undefined;
  folder = undefined;
});

describe('startLocalPipeline with persisted storage', () => {
  it('starts again on the same folder, replacing the subscriptions of the earlier run', async () => {
    folder = mkdtempSync(join(tmpdir(), 'graph-notify-persist-'));
    const options: LocalPipelineOptions = {
      port: 0,
      storageLocation: folder,
      graph: { mode: 'simulator', simulator: { clock: { mode: 'manual' } }, rich: false },
      log: () => undefined,
    };
    pipeline = await startLocalPipeline(options);
    const first = pipeline.subscriptions.map((view) => view.id);
    await pipeline.stop();

    pipeline = await startLocalPipeline(options);
    const listed = await pipeline.management.list();

    expect(first).toHaveLength(7);
    expect(pipeline.subscriptionErrors).toEqual([]);
    expect(listed.map((view) => view.id).sort()).toEqual(pipeline.subscriptions.map((view) => view.id).sort());
    expect(listed.some((view) => first.includes(view.id))).toBe(false);
    expect(listed).toHaveLength(7);
  });
});
