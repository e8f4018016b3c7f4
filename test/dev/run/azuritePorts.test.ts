/** `npm run dev -- --azurite-ports blob,queue,table`: read and checked before anything starts. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { azuritePortsInUse, freePorts, parseAzuritePorts } from '../../../dev/azurite';

const repoRoot = join(__dirname, '..', '..', '..');
let holder: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (holder?.listening === true)
      holder.close(() => {
        resolve();
      });
    else resolve();
  });
  holder = undefined;
});

/** dev/run/main.ts with `args`, as `npm run dev` runs it once built; its exit code and output. */
function runDev(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/run/main.ts', ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output });
    });
  });
}

describe('--azurite-ports', () => {
  it('reads three distinct ports in the order blob, queue, table', () => {
    expect(parseAzuritePorts('10000,10001,10002')).toEqual({ blob: 10_000, queue: 10_001, table: 10_002 });
    expect(parseAzuritePorts(' 20000 , 20001 , 20002 ')).toEqual({ blob: 20_000, queue: 20_001, table: 20_002 });
  });

  it.each([
    ['10000,10001', /three distinct ports, blob,queue,table/],
    ['10000,10001,10002,10003', /three distinct ports/],
    ['10000,x,10002', /the queue port "x" is not a port number/],
    ['10000,10001,70000', /the table port "70000" is not a port number/],
    ['0,10001,10002', /the blob port "0" is not a port number/],
    ['10000,10000,10002', /each service needs a port of its own/],
    ['', /three distinct ports/],
  ])('refuses "%s" with an error naming the option', (text, message) => {
    expect(() => parseAzuritePorts(text)).toThrow(message);
  });

  it('names the services whose port is taken', async () => {
    const [blob = 0, queue = 0, table = 0] = await freePorts(3);
    holder = createServer();
    await new Promise<void>((resolve) => holder?.listen(queue, '127.0.0.1', resolve));

    expect(await azuritePortsInUse({ blob, queue, table })).toEqual([`queue port ${queue}`]);
  });

  it('makes npm run dev exit 2 with the usage before starting anything when the value is wrong', async () => {
    const run = await runDev(['--azurite-ports', '10000,10001']);

    expect(run.code).toBe(2);
    expect(run.output).toMatch(/npm run dev: --azurite-ports takes three distinct ports/);
    expect(run.output).toMatch(/--azurite-ports <blob,queue,table>/);
    expect(run.output).not.toMatch(/Starting Azurite/);
  });

  it('makes npm run dev exit 2 naming a port in use', async () => {
    const [blob = 0, queue = 0, table = 0] = await freePorts(3);
    holder = createServer();
    await new Promise<void>((resolve) => holder?.listen(table, '127.0.0.1', resolve));

    const run = await runDev(['--azurite-ports', `${blob},${queue},${table}`, '--port', '0', '--no-workload']);

    expect(run.code).toBe(2);
    expect(run.output).toContain(`--azurite-ports: table port ${table} is in use`);
    expect(run.output).not.toMatch(/Starting Azurite/);
  });
});
