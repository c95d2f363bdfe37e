#!/usr/bin/env node
import { Command } from 'commander';
import { addFuzzOptions, fuzzAction } from './commands/fuzz.js';

// The seed system's tool name, kept as its own bin: same options as `shoal fuzz`.
const program = addFuzzOptions(
  new Command('urlfuzzer')
    .description('write generatedTests.json: valid and invalid request templates and stateful chains for shoal load')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2)),
);
program.action(fuzzAction(program));
await program.parseAsync(process.argv);
