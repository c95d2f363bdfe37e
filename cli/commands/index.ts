import type { Command } from 'commander';

/** Each subcommand lives in its own file and adds itself to the program. */
export type Register = (program: Command) => void;

/**
 * Every top-level command by name, each loaded only when asked for: `shoal app` starts
 * without compiling the proxy, the autoscaler, the fuzzer and the load generator.
 */
export const commands: Record<string, () => Promise<Register>> = {
  app: async () => (await import('./app.js')).registerApp,
  autoscaler: async () => (await import('./autoscaler.js')).registerAutoscaler,
  dynamodb: async () => (await import('./dynamodb.js')).registerDynamodb,
  ec2: async () => (await import('./ec2.js')).registerEc2,
  fuzz: async () => (await import('./fuzz.js')).registerFuzz,
  ingest: async () => (await import('./ingest.js')).registerIngest,
  load: async () => (await import('./load.js')).registerLoad,
  proxy: async () => (await import('./proxy.js')).registerProxy,
  seed: async () => (await import('./seed.js')).registerSeed,
  status: async () => (await import('./status.js')).registerStatus,
  tables: async () => (await import('./tables.js')).registerTables,
  up: async () => (await import('./up.js')).registerUp,
};

/**
 * The commands `argv` (after `node shoal`) needs: the one it names, or all of them when it
 * names none or an unknown one (help, and commander's "unknown command" with suggestions).
 */
export function commandsFor(argv: readonly string[]): string[] {
  const name = argv.find((a) => !a.startsWith('-'));
  return name !== undefined && Object.hasOwn(commands, name) ? [name] : Object.keys(commands);
}
