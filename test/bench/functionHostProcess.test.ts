import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFunctionHostProcess, type FunctionHostProcess } from '../../bench/functionHostProcess';
import { scratchApp } from '../../bench/scratchApp';

const cleanUps: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp();
});

/** A host process running one function that counts to `spin` before answering 202, and whose cleanup stops it. */
async function hostOf(spin: number): Promise<FunctionHostProcess> {
  const dir = scratchApp(
    'function-host-process-test',
    `const { app } = require('@azure/functions');
app.http('spin', { route: 'spin', methods: ['POST'], authLevel: 'function', handler: async () => {
  let n = 0;
  for (let i = 0; i < ${spin}; i += 1) n += i % 7;
  return { status: 202, headers: { 'x-spun': String(n > 0) } };
} });
`,
  );
  cleanUps.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const host = await startFunctionHostProcess({ appDir: dir, keys: { function: 'test-key' } });
  cleanUps.push(host.stop);
  return host;
}

describe('startFunctionHostProcess', () => {
  it('serves the app with its keys in a process that reports its own CPU, and stops it', async () => {
    const host = await hostOf(20_000_000);
    const url = host.functionUrls.spin ?? '';
    expect(url).toMatch(/^http:\/\/.+\/api\/spin$/);

    expect((await fetch(url, { method: 'POST' })).status).toBe(401);
    const before = await host.cpuUsage();
    const answered = await fetch(`${url}?code=test-key`, { method: 'POST' });
    const after = await host.cpuUsage();
    expect(answered.status).toBe(202);
    expect(answered.headers.get('x-spun')).toBe('true');
    // The spin ran in the host's process, whose CPU grew by it.
    expect(after.user - before.user).toBeGreaterThan(5_000);

    await host.stop();
    await expect(fetch(`${url}?code=test-key`, { method: 'POST' })).rejects.toThrow();
  });

  it('fails, naming the exit, when the host cannot start', async () => {
    await expect(
      startFunctionHostProcess({ appDir: '/nonexistent/graph-notify-app', keys: { function: 'k' } }),
    ).rejects.toThrow(/exited with code/);
  });
});
