import type { Command } from 'commander';

/** Each subcommand lives in its own file and adds itself to the program. */
export type Register = (program: Command) => void;
type Load = () => Promise<Register>;

const drain: Load = async () => (await import('./drain.js')).registerDrain;

/**
 * Every top-level command by name, each loaded only when asked for: `shoal app` starts
 * without compiling the proxy, the autoscaler, the fuzzer and the load generator. A file
 * that registers two commands (drain, undrain) appears under both names, as one loader.
 */
export const commands: Record<string, Load> = {
  app: async () => (await import('./app.js')).registerApp,
  autoscaler: async () => (await import('./autoscaler.js')).registerAutoscaler,
  chaos: async () => (await import('./chaos.js')).registerChaos,
  drain,
  dynamodb: async () => (await import('./dynamodb.js')).registerDynamodb,
  ec2: async () => (await import('./ec2.js')).registerEc2,
  fleet: async () => (await import('./fleet.js')).registerFleet,
  fuzz: async () => (await import('./fuzz.js')).registerFuzz,
  ingest: async () => (await import('./ingest.js')).registerIngest,
  load: async () => (await import('./load.js')).registerLoad,
  proxy: async () => (await import('./proxy.js')).registerProxy,
  seed: async () => (await import('./seed.js')).registerSeed,
  status: async () => (await import('./status.js')).registerStatus,
  tables: async () => (await import('./tables.js')).registerTables,
  undrain: drain,
  up: async () => (await import('./up.js')).registerUp,
};

/**
 * The loaders `argv` (after `node shoal`) needs: the command it names, or every one when it
 * names none or an unknown one (help, and commander's "unknown command" with suggestions).
 */
export function loadersFor(argv: readonly string[]): Load[] {
  const name = commandOf(argv);
  return name !== undefined && Object.hasOwn(commands, name) ? [commands[name]!] : [...new Set(Object.values(commands))];
}

/** The command `argv` (after `node shoal`) names: its first word that is not a flag. */
export function commandOf(argv: readonly string[]): string | undefined {
  return argv.find((a) => !a.startsWith('-'));
}
