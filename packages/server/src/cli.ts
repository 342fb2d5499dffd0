/**
 * The `spool` command line (bin/spool.js runs the build of this file):
 * `spool serve [flags]`; see `spool --help`. From source:
 * `node --import tsx/esm --conditions=@spool/source packages/server/src/cli.ts serve --demo`.
 */
import { fileURLToPath } from 'node:url';
import { runCli } from './cli/run-cli';

// The same relative path works from src/cli.ts and from the built dist/cli.js.
const dashboardDir = fileURLToPath(new URL('../../../apps/dashboard/dist/', import.meta.url));

process.exitCode = await runCli(
  process.argv.slice(2),
  process.env,
  { dashboardDir },
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, listener) => process.on(signal, listener),
  },
);
// Open handles (a stuck client, a timer) must not keep a drained server alive.
process.exit();
