import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../src/cli/run';
import { buildCliServices } from '../../src/cli/services';
import { testEnvironment } from '../support/storage';
import { AZURE_SUBSCRIPTION, FUNCTION_APP, startStubArm, STORAGE, TOPIC_PATH } from '../support/stubArm';

describe('graph-notify eventgrid activate (against a stub Azure Resource Manager)', () => {
  let arm: Awaited<ReturnType<typeof startStubArm>>;
  let baseUrl: string;

  beforeEach(async () => {
    arm = await startStubArm();
    baseUrl = arm.baseUrl;
  });

  afterEach(async () => {
    await arm.close();
  });

  async function activate(extra: readonly string[] = [], env: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['eventgrid', 'activate', '--function-app', FUNCTION_APP, '--dead-letter-storage', STORAGE, ...extra],
      {
        env: testEnvironment({
          EVENT_GRID_AZURE_SUBSCRIPTION_ID: AZURE_SUBSCRIPTION,
          EVENT_GRID_RESOURCE_GROUP: 'rg-notify',
          EVENT_GRID_PARTNER_TOPIC: 'graph-topic',
          EVENT_GRID_LOCATION: 'westeurope',
          ...env,
        }),
        cwd: mkdtempSync(join(tmpdir(), 'graph-notify-cli-')),
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
        services: (config) => ({
          ...buildCliServices(config),
          arm: { fetch: globalThis.fetch, baseUrl, token: () => Promise.resolve('arm-token') },
        }),
      },
    );
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('says clearly that Graph has not created the topic yet, and changes nothing', async () => {
    const run = await activate();

    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('ERR_EVENT_GRID_TOPIC_NOT_FOUND: Partner topic graph-topic does not exist');
    expect(run.stderr).toContain('--delivery eventGrid');
    expect(arm.calls.map((call) => call.method)).toEqual(['GET']);
  });

  it('activates the topic and subscribes the function with retries and dead-letter, then re-runs without harm', async () => {
    arm.state.topicExists = true;

    const first = await activate();
    const second = await activate(['--json']);

    expect(first.code).toBe(EXIT.ok);
    expect(first.stdout).toBe('Partner topic graph-topic: activated; event subscription to-graph-notify: created');
    expect(JSON.parse(second.stdout)).toEqual({ topic: 'alreadyActive', eventSubscription: 'updated' });
    expect(arm.calls.map((call) => `${call.method} ${call.path.slice(TOPIC_PATH.length) || '/'}`)).toEqual([
      'GET /',
      'POST /activate',
      'PUT /eventSubscriptions/to-graph-notify',
      'GET /',
      'PUT /eventSubscriptions/to-graph-notify',
    ]);
    expect(arm.calls.every((call) => call.apiVersion === '2022-06-15')).toBe(true);
    expect(arm.calls.every((call) => call.authorization === 'Bearer arm-token')).toBe(true);
    expect(arm.calls[2]?.body).toEqual({
      properties: {
        destination: {
          endpointType: 'AzureFunction',
          properties: {
            resourceId: `${FUNCTION_APP}/functions/receiveEventGridNotifications`,
            maxEventsPerBatch: 1,
            preferredBatchSizeInKilobytes: 64,
          },
        },
        eventDeliverySchema: 'CloudEventSchemaV1_0',
        retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
        deadLetterDestination: {
          endpointType: 'StorageBlob',
          properties: { resourceId: STORAGE, blobContainerName: 'eventgrid-deadletter' },
        },
      },
    });
  });

  it('refuses malformed resource ids before reading settings or calling Azure, naming the option', async () => {
    const run = await activate(['--dead-letter-container', 'Bad_Name'], {});
    const wrongApp = await runCli(
      ['eventgrid', 'activate', '--function-app', 'func-notify', '--dead-letter-storage', STORAGE],
      {
        env: {},
        cwd: mkdtempSync(join(tmpdir(), 'graph-notify-cli-')),
        stdout: () => undefined,
        stderr: () => undefined,
      },
    );

    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--dead-letter-container must be a blob container name, got "Bad_Name"');
    expect(wrongApp).toBe(EXIT.usage);
    expect(arm.calls).toEqual([]);
  });

  it('names the EVENT_GRID_* settings that are missing', async () => {
    const run = await activate([], { EVENT_GRID_PARTNER_TOPIC: '' });

    expect(run.code).toBe(EXIT.configuration);
    expect(run.stderr).toContain('EVENT_GRID_PARTNER_TOPIC');
    expect(arm.calls).toEqual([]);
  });

  it('exits 4 when Azure Resource Manager is unavailable, with its error code', async () => {
    arm.state.topicExists = true;
    arm.server.removeAllListeners('request');
    arm.server.on('request', (_request, response: import('node:http').ServerResponse) => {
      response
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'try later' } }));
    });

    const run = await activate();

    expect(run.code).toBe(EXIT.transient);
    expect(run.stderr).toContain('ERR_ARM_UNAVAILABLE: Azure Resource Manager answered 503 to read the partner topic');
  });
});
