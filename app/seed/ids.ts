import { createHash } from 'node:crypto';

/** shoal's namespace for name-based ids (itself a v5 id of "shoal" in the URL namespace). */
export const SHOAL_NAMESPACE = 'b1f0a2c5-52b4-5d7e-9a55-3b0c3c8f6e21';

/** RFC 9562 UUID version 5: SHA-1 of namespace + name, so the same row always gets the same id. */
export function uuidV5(name: string, namespace = SHOAL_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
