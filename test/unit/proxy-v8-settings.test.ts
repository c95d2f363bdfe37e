import t from 'tap';
import { userSetV8Flag } from '../../proxy/user-v8-flags.js';
import { WASM_TIERING } from '../../proxy/wasm-tiering.js';
import { YOUNG_SIZING } from '../../proxy/young-generation.js';

t.test("the proxy's young generation cap stands aside when the user sized it", async (t) => {
  const cases: [string[], string, boolean][] = [
    [[], '', false],
    [['--enable-source-maps'], '--max-old-space-size=512', false],
    [['--max-semi-space-size=16'], '', true],
    [['--min-semi-space-size=2'], '', true],
    [['--semi-space-growth-factor=4'], '', true],
    [[], '--max-semi-space-size=8 --enable-source-maps', true],
  ];
  for (const [execArgv, nodeOptions, want] of cases) t.equal(userSetV8Flag(YOUNG_SIZING, execArgv, nodeOptions), want, `${execArgv.join(' ')} | NODE_OPTIONS=${nodeOptions}`);
});

t.test('WebAssembly stays on baseline code unless the user chose its tiering', async (t) => {
  const cases: [string[], string, boolean][] = [
    [[], '', false],
    [['--max-semi-space-size=16'], '--enable-source-maps', false],
    [['--wasm-tier-up'], '', true],
    [['--no-wasm-dynamic-tiering'], '', true],
    [[], '--liftoff-only', true],
  ];
  for (const [execArgv, nodeOptions, want] of cases) t.equal(userSetV8Flag(WASM_TIERING, execArgv, nodeOptions), want, `${execArgv.join(' ')} | NODE_OPTIONS=${nodeOptions}`);
});
