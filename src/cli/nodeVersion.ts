/**
 * Imported first by main.ts: on a Node older than 22 the command says so plainly and exits 1, before
 * anything that needs Node 22 loads (scripts/preflight.mjs does the same for the npm scripts).
 */
const REQUIRED_MAJOR = 22;

if (Number(process.versions.node.split('.')[0]) < REQUIRED_MAJOR) {
  process.stderr.write(
    `graph-notify needs Node.js ${REQUIRED_MAJOR} or later; this is Node.js ${process.version} (${process.execPath}).\n` +
      `Switch to Node ${REQUIRED_MAJOR} (\`nvm use\` reads .nvmrc, or install it from https://nodejs.org) and run the command again,\n` +
      `or, through npm alone, run it once with Node ${REQUIRED_MAJOR}: npx -y -p node@${REQUIRED_MAJOR} npm run cli -- <arguments>\n`,
  );
  process.exit(1);
}
