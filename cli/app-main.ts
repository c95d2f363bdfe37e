// The entry of dist/cli/app.cjs, the bundled `shoal app` (see scripts/bundle-app.ts and
// cli/app-bundle.ts): the program with the one command an app server runs.
import { registerApp } from './commands/app.js';
import { shoalProgram } from './program.js';

/** Runs `shoal app` with `argv` (process.argv's shape); resolves once the app is serving. */
export async function main(argv: string[]): Promise<void> {
  const program = shoalProgram();
  registerApp(program);
  await program.parseAsync(argv);
}
