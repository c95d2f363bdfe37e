import t from 'tap';
import { DEMAND_DEFINITION, requestDemand, serversNeeded } from '../../capacity/demand.js';

t.test('demand in servers is ⌈offered / target⌉, hand-computed', async (t) => {
  const table: [offered: number, target: number, servers: number, why: string][] = [
    [200, 50, 4, '200 req/s at 50 per server is 4'],
    [201, 50, 5, '201 is 5: no tolerance band in the definition'],
    [199, 50, 4, '199 still needs 4'],
    [250, 50, 5, '250 / 50 is exactly 5, not 6 from a rounding error'],
    [0.3 * 3, 0.3, 3, '0.9 / 0.3 = 3.0000000000000004 in floating point is still 3'],
    [50.5, 50, 2, 'half a request over one server needs a second'],
    [1, 50, 1, 'any load needs a server'],
    [0, 50, 0, 'no load needs none'],
    [4000, 200, 20, 'a production-sized target'],
  ];
  for (const [offered, target, servers, why] of table) t.equal(serversNeeded(offered, target), servers, why);
  t.equal(DEMAND_DEFINITION, '⌈offered / target⌉', 'the report prints this definition');
  t.throws(() => serversNeeded(10, 0), RangeError, 'a target of 0 has no demand in servers');
});

t.test('the requests/s signal: the proxies’ offered rate, never below what the servers served', async (t) => {
  const table: [proxies: number | null, servers: number, rps: number, source: string][] = [
    [120, 70, 120, 'proxies'],
    [120, 120, 120, 'proxies'],
    [120, 150, 150, 'servers'],
    [null, 70, 70, 'servers'],
    [0, 0, 0, 'proxies'],
  ];
  for (const [proxies, servers, rps, source] of table) t.same(requestDemand(proxies, servers), { rps, source }, `offered ${proxies}, served ${servers}`);
});
