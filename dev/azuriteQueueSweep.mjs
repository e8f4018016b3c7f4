// Preloaded into Azurite (`node --import`) by dev/azurite.ts when a caller sets `queueSweepIntervalMs`: Azurite's
// queue service sweeps for message data no message refers to every DEFAULT_GC_INTERVAL_MS (60 s in 3.36), walking
// every message it holds, and has no option for it. With tens of thousands of messages in memory a sweep stops the
// emulator for seconds, which a benchmark would charge to whatever it was measuring at that minute.
import { createRequire } from 'node:module';
import process from 'node:process';

const interval = Number(process.env.GRAPH_NOTIFY_AZURITE_QUEUE_SWEEP_MS);
if (!Number.isInteger(interval) || interval <= 0)
  throw new Error('GRAPH_NOTIFY_AZURITE_QUEUE_SWEEP_MS must be a whole number of milliseconds above 0');
const constants = createRequire(import.meta.url)('azurite/dist/src/queue/utils/constants.js');
if (typeof constants.DEFAULT_GC_INTERVAL_MS !== 'number')
  throw new Error('this Azurite has no queue DEFAULT_GC_INTERVAL_MS to set: dev/azuriteQueueSweep.mjs needs updating');
constants.DEFAULT_GC_INTERVAL_MS = interval;
