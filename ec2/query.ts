import { ApiError } from './errors.js';

/**
 * The parameters of one AWS Query API call (`Action=…&InstanceId.1=…&Filter.1.Value.1=…`),
 * read through a prefix so nested structures and lists parse the same way at every depth.
 * The EC2 protocol flattens every list: `Name.1`, `Name.2`, … (numbered from 1, gaps allowed).
 */
export class QueryParams {
  constructor(
    private readonly map: ReadonlyMap<string, string>,
    private readonly prefix = '',
  ) {}

  static parse(body: string): QueryParams {
    return new QueryParams(new Map(new URLSearchParams(body)));
  }

  str(name: string): string | undefined {
    return this.map.get(this.prefix + name);
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw ApiError.missing(this.prefix + name);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) throw ApiError.invalidValue(this.prefix + name, v, 'expected an integer');
    return Number(v);
  }

  bool(name: string): boolean | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    if (v !== 'true' && v !== 'false') throw ApiError.invalidValue(this.prefix + name, v, 'expected true or false');
    return v === 'true';
  }

  /** `Name.1`, `Name.2`, … as strings, in index order. */
  list(name: string): string[] {
    return this.indexes(name).map((i) => this.map.get(`${this.prefix}${name}.${i}`)!);
  }

  /** `Name.N.*` as one QueryParams per N, in index order. */
  structs(name: string): QueryParams[] {
    return this.indexes(name, true).map((i) => new QueryParams(this.map, `${this.prefix}${name}.${i}.`));
  }

  /** `Name.*` as a nested QueryParams, or undefined when no such key was sent. */
  struct(name: string): QueryParams | undefined {
    const p = `${this.prefix}${name}.`;
    for (const k of this.map.keys()) if (k.startsWith(p)) return new QueryParams(this.map, p);
    return undefined;
  }

  /** Every key under this prefix, for request fingerprints (ClientToken idempotency). */
  entries(): [string, string][] {
    return [...this.map].filter(([k]) => k.startsWith(this.prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private indexes(name: string, nested = false): number[] {
    const p = `${this.prefix}${name}.`;
    const seen = new Set<number>();
    for (const k of this.map.keys()) {
      if (!k.startsWith(p)) continue;
      const rest = k.slice(p.length);
      const m = nested ? /^(\d+)\./.exec(rest) : /^(\d+)$/.exec(rest);
      if (m) seen.add(Number(m[1]));
    }
    return [...seen].sort((a, b) => a - b);
  }
}
