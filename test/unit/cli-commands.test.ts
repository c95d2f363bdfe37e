import { Command } from 'commander';
import t from 'tap';
import { commands, loadersFor } from '../../cli/commands/index.js';

const names = async (argv: string[]) => {
  const program = new Command('shoal');
  for (const load of loadersFor(argv)) (await load())(program);
  return program.commands.map((c) => c.name());
};

t.test('a named command loads alone; no name or an unknown one loads them all, once each', async (t) => {
  const all = Object.keys(commands);
  t.same(await names(['app', '--port', '0']), ['app']);
  t.same(await names(['ec2', 'user-data', '--out', 'x']), ['ec2']);
  t.same(await names(['undrain', 'app-1']), ['drain', 'undrain'], 'a file registering two commands');
  t.same((await names(['--help'])).sort(), all, 'help lists every command');
  t.same((await names([])).sort(), all);
  t.same((await names(['aap'])).sort(), all, 'an unknown name still gets commander’s suggestion');
  t.same((await names(['constructor'])).sort(), all, 'only own names count');
});
