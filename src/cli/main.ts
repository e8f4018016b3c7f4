#!/usr/bin/env node
/** Entry point of the `graph-notify` command (package.json bin); everything else is in run.ts. */
// First, so an old Node gets a clear message instead of whatever breaks first.
import './nodeVersion';
import { runCli } from './run';

void runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => {
    process.stdout.write(`${text}\n`);
  },
  stderr: (text) => {
    process.stderr.write(`${text}\n`);
  },
}).then((code) => {
  process.exitCode = code;
});
