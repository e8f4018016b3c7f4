/**
 * The app bundle (scripts/build.mjs) carries its own copy of the OpenTelemetry API, while the Azure Monitor
 * distribution installs its meter and tracer providers through the copy in node_modules. Our metrics and
 * spans must still reach those providers: this bundles src/lib/telemetry with the app bundle's options,
 * installs providers through node_modules (as the distribution does) and records through the bundle.
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { METRIC } from '../../src/lib/telemetry';
import { installInMemoryTelemetry } from '../support/telemetry';

type BundledTelemetry = typeof import('../../src/lib/telemetry');

const repoRoot = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'bundle-telemetry-'));

async function bundledTelemetry(): Promise<{ readonly module: BundledTelemetry; readonly text: string }> {
  // Plain JavaScript without type declarations: imported by URL, its options typed here.
  const { BUNDLE_OPTIONS } = (await import(pathToFileURL(join(repoRoot, 'scripts', 'build.mjs')).href)) as {
    BUNDLE_OPTIONS: BuildOptions;
  };
  const outfile = join(scratch, 'telemetry.js');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(repoRoot, 'src', 'lib', 'telemetry', 'index.ts')], outfile });
  return { module: createRequire(outfile)(outfile) as BundledTelemetry, text: readFileSync(outfile, 'utf8') };
}

describe('the bundled OpenTelemetry API', () => {
  const telemetry = installInMemoryTelemetry();
  afterEach(async () => {
    await telemetry.uninstall();
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('reports metrics and spans to the providers installed through node_modules', async () => {
    const { module: bundled, text } = await bundledTelemetry();

    bundled.recordNotificationsReceived(3, { endpoint: 'notifications' });
    await bundled.withSpan('graph.getResource', () => Promise.resolve());

    expect(text).not.toContain('require("@opentelemetry/api")');
    expect(await telemetry.sum(METRIC.notificationsReceived, { 'graph_notify.endpoint': 'notifications' })).toBe(3);
    expect(telemetry.spans().map((span) => span.name)).toContain('graph.getResource');
  });
});
