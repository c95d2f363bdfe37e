import { createServer } from 'node:net';

// Asks the kernel for a free loopback port. Only for children that cannot take port 0
// themselves (redis-server); our own servers bind 0 and report what they got.
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
