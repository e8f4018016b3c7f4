/**
 * Runs first in `npm test`, `npm run dev`, `npm start` and `npm run local-host`:
 *
 *   node scripts/preflight.mjs           stops with a clear message on Node older than 22
 *   node scripts/preflight.mjs --build   then builds (scripts/build.mjs) unless dist/ is current
 *
 * Building only when a source changed keeps `npm run dev -- --help` or a wrong flag answering at once.
 * Plain JavaScript that any Node parses, so the version message is what an old Node prints.
 */
import process from 'node:process';

const REQUIRED_MAJOR = 22;

const major = Number(process.versions.node.split('.')[0]);
if (major < REQUIRED_MAJOR) {
  // npm names the script it runs; npm alone can fetch Node 22 (the registry serves it as the package `node`).
  const script = process.env.npm_lifecycle_event ?? '<script>';
  process.stderr.write(
    `graph-notify needs Node.js ${REQUIRED_MAJOR} or later; this is Node.js ${process.version} (${process.execPath}).\n` +
      `Switch to Node ${REQUIRED_MAJOR} (\`nvm use\` reads .nvmrc, or install it from https://nodejs.org) and run the command again,\n` +
      `or, through npm alone, run it once with Node ${REQUIRED_MAJOR}: npx -y -p node@${REQUIRED_MAJOR} npm run ${script}\n`,
  );
  process.exit(1);
}

if (process.argv.includes('--build')) {
  const { build, isBuildCurrent } = await import('./build.mjs');
  if (!isBuildCurrent()) {
    process.stderr.write('Sources changed since the last build: building (npm run build)...\n');
    try {
      await build();
    } catch (error) {
      process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
  }
}
