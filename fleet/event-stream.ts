import type { Redis } from 'ioredis';

export interface StreamEntry<T> {
  /** The Redis stream id; its first part is the epoch ms the entry was added. */
  id: string;
  at: number;
  data: T;
}

/** A capped Redis stream of JSON events (autoscaler decisions, chaos events). */
export class EventStream<T> {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxLen = 1000,
  ) {}

  async append(data: T): Promise<string> {
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLen), '*', 'data', JSON.stringify(data));
    return id ?? '';
  }

  /** The newest `count` entries, newest first. */
  async recent(count: number): Promise<StreamEntry<T>[]> {
    const rows = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', count);
    return rows.map(([id, fields]) => parseEntry<T>(id, fields));
  }

  /** Entries after `lastId` (exclusive), oldest first: for live tails. */
  async after(lastId: string, count = 100): Promise<StreamEntry<T>[]> {
    const rows = await this.redis.xrange(this.key, `(${lastId}`, '+', 'COUNT', count);
    return rows.map(([id, fields]) => parseEntry<T>(id, fields));
  }
}

export function parseEntry<T>(id: string, fields: string[]): StreamEntry<T> {
  const i = fields.indexOf('data');
  return { id, at: Number(id.split('-')[0]), data: JSON.parse(i >= 0 ? fields[i + 1]! : 'null') as T };
}
