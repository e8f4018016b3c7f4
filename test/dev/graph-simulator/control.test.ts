/**
 * The control API over real HTTP, and the standalone entry point (`npm run graph-sim`) started as a
 * child process and stopped with SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_APP_ID,
  DEMO_CLIENT_SECRET,
  DEMO_TENANT_ID,
  startGraphSimulator,
  type RunningGraphSimulator,
} from '../../../dev/graph-simulator/index.js';
import { SIGNING_KEY_PEM, startReceiver, type Receiver } from './support.js';

let sim: RunningGraphSimulator;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startGraphSimulator({ seedDemo: true, allowHttpLoopback: true, signingKeyPem: SIGNING_KEY_PEM });
  receiver = await startReceiver();
});

afterAll(async () => {
  await sim.stop();
  await receiver.stop();
});

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.origin}/_sim${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function demoToken(): Promise<string> {
  const response = await fetch(sim.tokenEndpointTemplate.replace('{tenantId}', DEMO_TENANT_ID), {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: DEMO_APP_ID,
      client_secret: DEMO_CLIENT_SECRET,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('control API', () => {
  it('seeds a demo tenant whose state is readable', async () => {
    const { status, json } = await control('GET', `/tenants/${DEMO_TENANT_ID}/state`);

    const kinds = new Set((json.value as { kind: string }[]).map((r) => r.kind));
    expect(status).toBe(200);
    expect([...kinds].sort()).toEqual([
      'chat',
      'chatMessage',
      'contact',
      'drive',
      'driveItem',
      'event',
      'group',
      'mailFolder',
      'message',
      'user',
    ]);
  });

  it('applies mutations, advances time and reports the delivery ground truth', async () => {
    const token = await demoToken();
    const created = await fetch(`${sim.graphBaseUrl}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        changeType: 'updated,deleted',
        notificationUrl: receiver.url,
        resource: 'groups',
        expirationDateTime: new Date(sim.clock.now().getTime() + 3_600_000).toISOString(),
      }),
    });
    expect(created.status).toBe(201);

    const mutation = await control('POST', `/tenants/${DEMO_TENANT_ID}/mutations`, [
      { kind: 'group', op: 'create', data: { displayName: 'Via control' } },
    ]);
    // Graph notifies a group change within 3 minutes (its latency table), plus up to 10 s of reordering.
    await control('POST', '/time/advance', { minutes: 4 });
    const summary = await control('GET', '/notifications/summary');
    const advanced = await control('POST', '/time/advance', { minutes: 86 });
    const subscriptions = await control('GET', '/subscriptions');

    expect((mutation.json.value as { displayName: string }[])[0]?.displayName).toBe('Via control');
    expect(summary.json).toMatchObject({ total: 1, delivered: 1 });
    expect(Date.parse(String(advanced.json.now)) - Date.now()).toBeGreaterThan(80 * 60_000);
    expect(subscriptions.json.value).toEqual([]);
  });

  it('seeds subscriptions in bulk for an app, and names what is missing', async () => {
    const body = {
      changeType: 'updated',
      notificationUrl: receiver.url,
      resource: 'groups',
      expirationDateTime: new Date(sim.clock.now().getTime() + 3_600_000).toISOString(),
    };

    const seeded = await control('POST', `/tenants/${DEMO_TENANT_ID}/subscriptions`, {
      clientId: DEMO_APP_ID,
      subscriptions: [body, { ...body, resource: 'users' }],
    });
    const missing = await control('POST', `/tenants/${DEMO_TENANT_ID}/subscriptions`, { subscriptions: [body] });
    const unknownApp = await control('POST', `/tenants/${DEMO_TENANT_ID}/subscriptions`, {
      clientId: 'nobody',
      subscriptions: [body],
    });

    expect(seeded.status).toBe(201);
    expect(
      (seeded.json.value as { resource: string; applicationId: string }[]).map((s) => [s.resource, s.applicationId]),
    ).toEqual([
      ['groups', DEMO_APP_ID],
      ['users', DEMO_APP_ID],
    ]);
    expect(missing.status).toBe(400);
    expect((missing.json.error as { message: string }).message).toBe('clientId and a subscriptions array are required');
    expect(unknownApp.status).toBe(404);
    for (const subscription of seeded.json.value as { id: string }[])
      await control('POST', `/subscriptions/${subscription.id}/lifecycle`, { event: 'subscriptionRemoved' });
  });

  it('configures faults and scripted rules', async () => {
    const configured = await control('PATCH', '/faults', { readThrottleRatio: 0.5 });
    const rule = await control('POST', '/faults/rules', { path: '/users', status: 503, times: 2 });
    const listed = await control('GET', '/faults');
    await control('DELETE', '/faults');
    const cleared = await control('GET', '/faults');

    expect(configured.json.readThrottleRatio).toBe(0.5);
    expect(rule.status).toBe(201);
    expect(listed.json.rules).toEqual([expect.objectContaining({ path: '/users', status: 503, times: 2 })]);
    expect(cleared.json).toMatchObject({ readThrottleRatio: 0, rules: [] });
  });

  it('answers a clear 4xx for unknown routes and bad mutations', async () => {
    const unknown = await control('GET', '/nothing');
    const bad = await control('POST', `/tenants/${DEMO_TENANT_ID}/mutations`, {
      kind: 'message',
      op: 'update',
      userId: 'nobody',
      id: 'x',
      data: {},
    });

    expect(unknown.status).toBe(404);
    expect(bad.status).toBe(404);
    expect((bad.json.error as { message: string }).message).toBe('user nobody does not exist');
  });
});

describe('standalone entry point', () => {
  it('starts on the given port, prints the settings and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'dev/graph-simulator/main.ts', '--port', '0', '--seed-demo', '--quiet'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    for (let i = 0; i < 200 && !output.includes('control API'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const origin = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    const health = await fetch(`${origin ?? ''}/_sim/health`);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(health.status).toBe(200);
    expect(output).toContain(`GRAPH_TENANT_ID=${DEMO_TENANT_ID}`);
    expect(output).toMatch(/GRAPH_TOKEN_ENDPOINT=http:\/\/127\.0\.0\.1:\d+\/\{tenantId\}\/oauth2\/v2\.0\/token/);
    expect(code).toBe(0);
  }, 20_000);
});

describe('control API input checks', () => {
  it('names the missing field of a mutation', async () => {
    const { status, json } = await control('POST', `/tenants/${DEMO_TENANT_ID}/mutations`, {
      kind: 'message',
      op: 'update',
      id: 'x',
      data: {},
    });

    expect(status).toBe(400);
    expect((json.error as { message: string }).message).toMatch(/^invalid message update: userId: /);
  });

  it('refuses unknown fault options and bad ratios', async () => {
    const unknown = await control('PATCH', '/faults', { readThrotleRatio: 0.1 });
    const outOfRange = await control('PATCH', '/faults', { readThrottleRatio: 2 });

    expect(unknown.status).toBe(400);
    expect(outOfRange.status).toBe(400);
  });

  it('runs a bounded number of workload changes', async () => {
    const { status, json } = await control('POST', '/workload/run', { count: 5, mix: { group: 1 } });

    expect(status).toBe(200);
    expect(json.value).toHaveLength(5);
  });
});
