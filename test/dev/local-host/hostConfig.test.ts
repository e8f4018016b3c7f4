import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostJson, parseTimeSpan } from '../../../dev/local-host/hostJson';
import {
  composeSettings,
  EnvironmentPatch,
  readLocalSettingsFile,
  resolveSettingReferences,
} from '../../../dev/local-host/settings';

describe('parseTimeSpan', () => {
  it.each([
    ['00:00:02', 2_000],
    ['00:00:00.100', 100],
    ['00:10:00', 600_000],
    ['1.02:03:04', ((24 + 2) * 60 + 3) * 60_000 + 4_000],
    ['-00:00:01', -1_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseTimeSpan(text)).toBe(ms);
  });

  it.each(['2s', '00:60:00', '', '1:2:3:4'])('rejects %j', (text) => {
    expect(parseTimeSpan(text)).toBeUndefined();
  });

  it('round-trips any whole-millisecond duration written as hh:mm:ss.fff', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 999 }),
        (h, m, s, ms) => {
          const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
          expect(parseTimeSpan(`${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`)).toBe(
            ((h * 60 + m) * 60 + s) * 1000 + ms,
          );
        },
      ),
    );
  });
});

describe('parseHostJson', () => {
  const base = { version: '2.0' };

  it('applies the Storage extension defaults, with the 2 s development polling interval', () => {
    const { queues, routePrefix, functionTimeoutMs } = parseHostJson(base, {});
    expect(queues).toMatchObject({
      batchSize: 16,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 2_000,
      messageEncoding: 'base64',
    });
    expect(queues.newBatchThreshold).toBeGreaterThanOrEqual(8);
    expect(routePrefix).toBe('api');
    expect(functionTimeoutMs).toBeUndefined();
  });

  it('reads keys case-insensitively and lets AzureFunctionsJobHost__ settings override the file', () => {
    const document = {
      version: '2.0',
      functionTimeout: '00:10:00',
      Extensions: {
        Queues: { BatchSize: 8, visibilityTimeout: '00:00:30', maxDequeueCount: 5 },
        http: { routePrefix: '/v1/' },
      },
    };
    const config = parseHostJson(document, {
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
      azurefunctionsjobhost__functionTimeout: '00:00:05',
    });
    expect(config.queues).toMatchObject({
      batchSize: 8,
      visibilityTimeoutMs: 30_000,
      maxDequeueCount: 2,
      newBatchThreshold: expect.any(Number) as unknown,
    });
    expect(config.routePrefix).toBe('v1');
    expect(config.functionTimeoutMs).toBe(5_000);
    expect(document.Extensions.Queues.maxDequeueCount).toBe(5);
  });

  it.each([
    [{ extensions: { queues: { batchSize: 33 } } }, 'extensions.queues.batchSize must be a whole number from 1 to 32'],
    [
      { extensions: { queues: { maxPollingInterval: '00:00:00.050' } } },
      'maxPollingInterval must be a TimeSpan "hh:mm:ss" of at least 100 ms',
    ],
    [{ extensions: { queues: { maxDequeueCount: 0 } } }, 'maxDequeueCount must be a whole number from 1'],
    [{ extensions: { queues: { messageEncoding: 'utf8' } } }, 'messageEncoding must be "base64" or "none"'],
    [{ functionTimeout: 'ten minutes' }, 'functionTimeout must be a TimeSpan'],
  ])('names the host.json key at fault: %j', (patch, message) => {
    expect(() => parseHostJson({ ...base, ...patch }, {})).toThrow(message);
  });

  it('insists on the v2 schema', () => {
    expect(() => parseHostJson({ version: '1.0' }, {})).toThrow('host.json version must be "2.0"');
  });
});

describe('settings', () => {
  let dir: string | undefined;

  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function settingsFile(content: string): string {
    dir = mkdtempSync(join(tmpdir(), 'local-host-settings-'));
    const file = join(dir, 'local.settings.json');
    writeFileSync(file, content);
    return file;
  }

  it('reads Values and Host.LocalHttpPort, and treats a missing file as no settings', () => {
    const file = settingsFile(
      JSON.stringify({ IsEncrypted: false, Values: { A: '1' }, Host: { LocalHttpPort: 7072 } }),
    );
    expect(readLocalSettingsFile(file)).toEqual({ values: { A: '1' }, localHttpPort: 7072 });
    expect(readLocalSettingsFile(join(dir ?? '', 'absent.json'))).toBeUndefined();
  });

  it('rejects encrypted files and non-string values, naming the value but never showing it', () => {
    expect(() => readLocalSettingsFile(settingsFile(JSON.stringify({ IsEncrypted: true, Values: {} })))).toThrow(
      'is encrypted',
    );
    rmSync(dir ?? '', { recursive: true, force: true });
    expect(() => readLocalSettingsFile(settingsFile(JSON.stringify({ Values: { PORT: 7071 } })))).toThrow(
      'Values.PORT must be a string, got number',
    );
    rmSync(dir ?? '', { recursive: true, force: true });
    expect(() => readLocalSettingsFile(settingsFile('{ "Values": { "SECRET": "hunter2" '))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') as unknown }) as Error,
    );
  });

  it('orders precedence file < environment < explicit settings', () => {
    const composed = composeSettings(
      { A: 'file', B: 'file', C: 'file' },
      { B: 'env', C: 'env', PATH: '/bin' },
      { C: 'explicit' },
    );
    expect(composed.applied).toEqual({ A: 'file', C: 'explicit' });
    expect(composed.shadowedByEnvironment).toEqual(['B']);
    expect(composed.all).toMatchObject({ A: 'file', B: 'env', C: 'explicit', PATH: '/bin' });
  });

  it('resolves %Setting% references (case-insensitively) and names a missing one', () => {
    expect(resolveSettingReferences('%queue_name%-x', { QUEUE_NAME: 'work' }, 'queueName')).toBe('work-x');
    expect(() => resolveSettingReferences('%MISSING%', {}, 'Function "f" binding "b" queueName')).toThrow(
      'Function "f" binding "b" queueName refers to setting %MISSING%, which is not set',
    );
  });

  it('puts process.env back exactly as it was', () => {
    process.env.LOCAL_HOST_EXISTING = 'before';
    const patch = new EnvironmentPatch();
    patch.apply({ LOCAL_HOST_EXISTING: 'during', LOCAL_HOST_NEW: 'during' });
    patch.apply({ LOCAL_HOST_EXISTING: 'again' });
    const during = [process.env.LOCAL_HOST_EXISTING, process.env.LOCAL_HOST_NEW];
    patch.restore();
    expect(during).toEqual(['again', 'during']);
    expect([process.env.LOCAL_HOST_EXISTING, process.env.LOCAL_HOST_NEW]).toEqual(['before', undefined]);
    delete process.env.LOCAL_HOST_EXISTING;
  });
});
