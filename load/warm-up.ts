import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { TestsFile } from '../fuzzer/templates.js';

/** Below this planned peak rate a cold start is absorbed without late sends. */
export const WARM_UP_FROM_RATE = 5000;

/** What the warm-up run sends: one plain GET. */
export const WARM_UP_FILE: Pick<TestsFile, 'templates' | 'chains'> = {
  templates: [{ id: 'warm-up', name: 'warm-up', class: 'valid', method: 'GET', path: '/', headers: {}, body: null, weight: 1 }],
  chains: [],
};

const CANNED = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', 'latin1');
const END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * A canned in-process HTTP server for the warm-up run (never the target): before a
 * high-rate open-model run the same send path runs against it briefly, so the JIT has
 * compiled it before the clock starts. A cold generator near its capacity falls behind
 * in its first second and would report those sends as missed.
 */
export async function startCannedServer(): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {});
    s.on('data', (b: Buffer) => {
      for (let i = b.indexOf(END); i !== -1; i = b.indexOf(END, i + 4)) s.write(CANNED);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
