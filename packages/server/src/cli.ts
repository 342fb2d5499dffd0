/**
 * The `spool` command line (bin/spool.js runs the build of this file, dist/bin.js):
 * `spool serve [flags]`; see `spool --help`. From source:
 * `node --import tsx/esm --conditions=@spool/source packages/server/src/cli.ts serve --demo`.
 */
import { runCli } from './cli/run-cli';
import { bundledDashboardDir } from './dashboard/bundled-dashboard';

process.exitCode = await runCli(
  process.argv.slice(2),
  process.env,
  // Inside the installed package (dist/dashboard), or the repository's build from the sources.
  { dashboardDir: bundledDashboardDir() },
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, listener) => process.on(signal, listener),
  },
);
// Open handles (a stuck client, a timer) must not keep a drained server alive.
process.exit();
