import { Pool } from 'undici';

/** One request a fixed run sends, and the status that counts as success. */
export interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect: number;
}

/**
 * Sends `n` requests over `concurrency` keep-alive connections, each loop sending its next
 * request when the previous answer is read (closed loop: the server's CPU per request is
 * what is measured, not latency). Throws on the first unexpected status.
 */
export async function runFixed(url: string, n: number, concurrency: number, call: (i: number) => Call): Promise<void> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  let next = 0;
  const loop = async () => {
    while (next < n) {
      const c = call(next++);
      const res = await pool.request({ method: c.method, path: c.path, headers: c.headers, body: c.body });
      const text = await res.body.text();
      if (res.statusCode !== c.expect) throw new Error(`${c.method} ${c.path}: HTTP ${res.statusCode} (expected ${c.expect}): ${text.slice(0, 200)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
  } finally {
    await pool.close();
  }
}
