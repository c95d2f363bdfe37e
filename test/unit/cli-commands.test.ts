import { Command } from 'commander';
import t from 'tap';
import { commands, commandsFor } from '../../cli/commands/index.js';

t.test('a named command loads alone; no name or an unknown one loads them all', async (t) => {
  const all = Object.keys(commands);
  t.same(commandsFor(['app', '--port', '0']), ['app']);
  t.same(commandsFor(['ec2', 'user-data', '--out', 'x']), ['ec2']);
  t.same(commandsFor(['--help']), all, 'help lists every command');
  t.same(commandsFor([]), all);
  t.same(commandsFor(['aap']), all, 'an unknown name still gets commander’s suggestion');
  t.same(commandsFor(['constructor']), all, 'only own names count');
});

t.test('each loader registers the command of its name', async (t) => {
  for (const [name, load] of Object.entries(commands)) {
    const program = new Command('shoal');
    (await load())(program);
    t.same(
      program.commands.map((c) => c.name()),
      [name],
      name,
    );
  }
});
