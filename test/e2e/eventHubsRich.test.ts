/**
 * Rich notifications by Event Hubs, end to end through the local host: Graph (the simulator) publishes rich
 * Teams and Outlook notifications into its simulated hub with no validationTokens, as it does in Azure; the
 * host's Event Hubs function marks them as from the hub, processing decrypts them without tokens and the sink
 * holds their content, including one over the hub's 1 MB that Graph claim-checks through blobStoreUrl. The same
 * rich item POSTed to the webhook without tokens is still refused (docs/security.md, "Rich notifications by
 * Event Hubs").
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RICH_MESSAGE_SELECT } from '../../dev/run';
import { readSink, startE2ePipeline, untilQuiet, withoutResponseAnnotations, type E2ePipeline } from './support';

const all = 'created,updated,deleted';
/** Over the hub's 1 MB once encrypted, so Graph stores it as a blob and sends additionalPayloadStorageId. */
const LARGE_CONTENT = 'x'.repeat(1_200_000);

describe('rich notifications by Event Hubs, end to end on the local host', () => {
  let e2e: E2ePipeline;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'graph-notify-hub-rich-'));
    e2e = await startE2ePipeline({
      delivery: 'eventHubs',
      storageLocation: folder,
      subscriptions: (demo) => [
        { resource: `chats/${demo.chatId}/messages`, changeType: all, includeResourceData: true },
        {
          resource: `users/${demo.alexId}/messages?$select=${RICH_MESSAGE_SELECT}`,
          changeType: all,
          includeResourceData: true,
        },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await e2e.pipeline.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const stored = async (path: string): Promise<Record<string, unknown> | undefined> => {
    const entry = (await readSink(e2e.pipeline)).get(path.toLowerCase());
    return entry === undefined ? undefined : withoutResponseAnnotations(entry.body);
  };

  it('writes rich Teams and Outlook notifications from the hub into the sink, one over 1 MB by blob claim', async () => {
    const { sim, demo, pipeline } = e2e;
    const listed = await pipeline.management.list();
    expect(listed.map((view) => [view.delivery, view.includeResourceData])).toEqual([
      ['eventHubs', true],
      ['eventHubs', true],
    ]);

    const small = sim.mutate(demo.tenantId, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: 'Rich hello by the hub' } },
    });
    const large = sim.mutate(demo.tenantId, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: LARGE_CONTENT } },
    });
    const mail = sim.mutate(demo.tenantId, {
      kind: 'message',
      op: 'create',
      userId: demo.alexId,
      data: { subject: 'Rich mail by the hub' },
    });

    await untilQuiet(e2e, { timeoutMs: 60_000 });

    expect(await stored(`chats/${demo.chatId}/messages/${String(small?.id)}`)).toMatchObject({
      body: { content: 'Rich hello by the hub' },
    });
    expect(await stored(`chats/${demo.chatId}/messages/${String(large?.id)}`)).toMatchObject({
      body: { content: LARGE_CONTENT },
    });
    expect(await stored(`users/${demo.alexId}/messages/${String(mail?.id)}`)).toMatchObject({
      subject: 'Rich mail by the hub',
    });
    // Graph did claim-check the large one: its blob is in the container blobStoreUrl names.
    const payloads = BlobServiceClient.fromConnectionString(pipeline.connectionString).getContainerClient(
      pipeline.config.delivery.eventHubsPayloadContainer ?? '',
    );
    const claimed: string[] = [];
    for await (const blob of payloads.listBlobsFlat()) claimed.push(blob.name);
    expect(claimed.some((name) => name.startsWith(`${listed[0]?.id ?? ''}/`))).toBe(true);
    // No rich item was refused and none needed a Graph read: the content came by the hub.
    expect(e2e.logs.filter((entry) => /Rejected .*rich notification/.test(entry.message))).toEqual([]);
  }, 90_000);

  it('still refuses the same rich item POSTed to the webhook without validation tokens', async () => {
    const { sim, demo, pipeline } = e2e;
    const created = sim.mutate(demo.tenantId, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: 'Replayed by an attacker' } },
    });
    await untilQuiet(e2e);
    const path = `chats/${demo.chatId}/messages/${String(created?.id)}`;
    const record = sim
      .notifications()
      .find((candidate) => JSON.stringify(candidate.payload.resource ?? '').includes(String(created?.id)));
    if (record === undefined) throw new TypeError('Graph sent no notification for the new chat message');
    expect(record.payload.encryptedContent).toBeDefined();
    // Forget what the hub delivered, so only the webhook POST could bring it back.
    const sink = BlobServiceClient.fromConnectionString(pipeline.connectionString).getContainerClient(
      pipeline.config.processing.resourcesContainer,
    );
    for await (const blob of sink.listBlobsFlat())
      if (blob.name.toLowerCase().endsWith(`/${path.toLowerCase()}.json`)) await sink.deleteBlob(blob.name);
    expect(await stored(path)).toBeUndefined();

    // Valid clientState, so ingest accepts it (202); processing must refuse it for lack of tokens.
    const response = await fetch(pipeline.urls.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: [record.payload] }),
    });
    await untilQuiet(e2e);

    expect(response.status).toBe(202);
    expect(await stored(path)).toBeUndefined();
    expect(
      e2e.logs.some((entry) => entry.message.includes('Rejected 1 rich notification(s): validation tokens failed')),
    ).toBe(true);
  }, 60_000);
});
