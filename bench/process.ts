/**
 * Processing benchmark: Graph HTTP requests per notification on a mixed workload (users, groups, mail,
 * events, contacts, drive, chat) in which each resource is notified 5 times, against the Graph simulator
 * and Azurite, beside the figure for the naive design of one GET per notification. Prints figures only.
 *
 *   npm run bench:process -- [--messages 40]
 */
import { parseArgs } from 'node:util';
import { startAzurite } from '../dev/azurite';
import { startProcessingHarness, subscribeToEverything, updateEverything } from '../test/support/processingHarness';
import { TEST_STORAGE_VARIABLE } from '../test/support/storage';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '40' } } });
const EXTRA_MESSAGES = Number(values.messages);
const ROUNDS = 5;

async function scenario(label: string, spread: boolean): Promise<string> {
  const h = await startProcessingHarness();
  try {
    const ids = await subscribeToEverything(h);
    for (let n = 0; n < EXTRA_MESSAGES; n += 1) h.sim.mutate(h.tenantId, { kind: 'message', op: 'create', userId: ids.userId, data: { subject: `bench ${n}` } });
    await h.deliver();
    await h.drain();
    const before = { ...h.traffic };
    const notificationsBefore = h.sim.notifications({ kind: 'change' }).length;

    let changes = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      changes += updateEverything(h, ids, 1);
      if (spread) {
        await h.deliver();
        await h.drain();
      }
    }
    await h.deliver();
    await h.drain();

    const notifications = h.sim.notifications({ kind: 'change' }).length - notificationsBefore;
    const requests = h.traffic.requests - before.requests;
    const reads = h.traffic.reads - before.reads;
    return [
      label.padEnd(44),
      String(notifications).padStart(13),
      String(changes / ROUNDS).padStart(10),
      String(requests).padStart(14),
      String(reads).padStart(8),
      (requests / notifications).toFixed(3).padStart(17),
      '1.000'.padStart(14),
    ].join(' ');
  } finally {
    await h.stop();
  }
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  process.env[TEST_STORAGE_VARIABLE] = azurite.connectionString;
  try {
    console.log(`processing benchmark: mixed workload, each resource notified ${ROUNDS} times, Graph simulator + Azurite on loopback`);
    console.log(
      [
        'delivery pattern'.padEnd(44),
        'notifications'.padStart(13),
        'resources'.padStart(10),
        'HTTP requests'.padStart(14),
        'reads'.padStart(8),
        'requests / notif'.padStart(17),
        'one GET/notif'.padStart(14),
      ].join(' '),
    );
    console.log(await scenario('burst (5 changes before processing)', false));
    console.log(await scenario('spread (processed after each change)', true));
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
