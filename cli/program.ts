import { Command } from 'commander';
import { shoalVersion } from './version.js';

/** The `shoal` program with no subcommands yet: each command file adds its own. */
export function shoalProgram(): Command {
  return (
    new Command('shoal')
      .description('shoal: a self-hosted autoscaling web stack (app, proxy, autoscaler, status, URL fuzzer and load generator)')
      .version(shoalVersion(), '-V, --version')
      // Usage errors (unknown flag, missing value) exit 2 like every other bad input.
      .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  );
}
