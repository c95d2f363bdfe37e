import { Option, type Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.js';
import { PARSE_ONCE } from '../lib/parse-once.js';
import { redact } from '../lib/redact.js';

/** One flag as its tier declares it. The long name is the key in kebab case (`adminPort` → `--admin-port`). */
export interface Flag<T extends z.ZodType = z.ZodType> {
  /** `<port>`; absent for a switch. */
  arg?: string;
  help: string;
  default?: string;
  schema: T;
  /** A variable every command shares (`REDIS_URL`); absent = `SHOAL_<TIER>_<FLAG>` (none for a switch); false = none. */
  env?: string | false;
  /** A switch that is on unless `--no-<flag>` is given. */
  negate?: boolean;
  /** Handed to a child in its environment, never on its argv. */
  secret?: boolean;
  /** May be given more than once: the values arrive as a list (the environment variable holds them `;`-separated). */
  repeatable?: boolean;
}

export type Flags = Record<string, Flag>;
export type Values<F extends Flags> = { [K in keyof F]: z.output<F[K]['schema']> };

/** A tier's flags, declared once: `shoal <tier>` adds them all, `shoal up` reuses them. */
export interface Tier<F extends Flags = Flags> {
  name: string;
  flags: F;
  /** Checks across flags; returns the key to blame and why. */
  check?: (v: Values<F>) => { key: keyof F & string; message: string } | undefined;
}

/** How a command takes in a tier's flags: some left out (it sets them itself), some renamed, some defaults changed. */
export interface Reuse<F extends Flags = Flags> {
  omit?: readonly (keyof F & string)[];
  rename?: Partial<Record<keyof F & string, string>>;
  defaults?: Partial<Record<keyof F & string, string>>;
  /** Put before each help text, saying whose flag it is ("proxy"). */
  label?: string;
}

export const flag = <T extends z.ZodType>(f: Flag<T>): Flag<T> => f;
export const tier = <F extends Flags>(t: Tier<F>): Tier<F> => t;

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The one naming scheme: a shared name where the flag means the same everywhere, else
 * SHOAL_<TIER>_<FLAG>. Switches have none: commander would take any value, "false" too, as on.
 */
export function envName(tierName: string, key: string, f: Flag): string | undefined {
  if (f.env === false || (!f.arg && f.env === undefined)) return undefined;
  return f.env ?? `SHOAL_${tierName}_${kebab(key)}`.toUpperCase().replace(/-/g, '_');
}

/** [tier key, key on the command] for every flag the command takes from the tier. */
function reused<F extends Flags>(t: Tier<F>, r: Reuse<F> = {}): [keyof F & string, string][] {
  return Object.keys(t.flags)
    .filter((k) => !r.omit?.includes(k))
    .map((k) => [k, r.rename?.[k] ?? k]);
}

export function addFlags<F extends Flags>(cmd: Command, t: Tier<F>, r: Reuse<F> = {}): Command {
  for (const [key, local] of reused(t, r)) {
    const f = t.flags[key]!;
    const long = f.negate ? `--no-${kebab(local)}` : `--${kebab(local)}`;
    const o = new Option(f.arg ? `${long} ${f.arg}` : long, r.label ? `${r.label}: ${f.help}` : f.help);
    const env = envName(t.name, key, f);
    if (env) o.env(env);
    const def = r.defaults?.[key] ?? f.default;
    if (def !== undefined) o.default(def);
    if (f.repeatable) o.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(';').map((x) => x.trim()).filter(Boolean)]);
    cmd.addOption(o);
  }
  return cmd;
}

/** How to name an option in an error: "--port (SHOAL_PROXY_PORT)". */
function describe(cmd: Command, key: string): string {
  const o = cmd.options.find((x) => x.attributeName() === key);
  if (!o) return key;
  const long = o.negate ? `--${kebab(key)}` : (o.long ?? key);
  return o.envVar ? `${long} (${o.envVar})` : long;
}

export function configError(cmd: Command, key: string, message: string, got?: unknown): ConfigError {
  const shown = got === undefined ? '' : ` (got ${redact(JSON.stringify(got))})`;
  return new ConfigError(`invalid ${describe(cmd, key)}: ${message}${shown}`);
}

/**
 * Validates a tier's flags as a command received them (flags > env > defaults, merged by
 * commander), once, at the edge. A bad value throws a ConfigError naming the flag and its variable.
 */
export function parseFlags<F extends Flags>(cmd: Command, t: Tier<F>, r: Reuse<F> = {}): Values<F> {
  const raw = cmd.opts();
  const pairs = reused(t, r);
  const localOf = new Map(pairs);
  const shape: Record<string, z.ZodType> = {};
  const input: Record<string, unknown> = {};
  for (const [key, local] of pairs) {
    shape[key] = t.flags[key]!.schema;
    input[key] = raw[local];
  }
  const res = z.object(shape).safeParse(input, PARSE_ONCE);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw configError(cmd, localOf.get(key) ?? key, issue.message, input[key]);
  }
  const values = res.data as Values<F>;
  const bad = t.check?.(values);
  if (bad) throw configError(cmd, localOf.get(bad.key) ?? bad.key, bad.message, input[bad.key]);
  return values;
}

export interface ChildFlags {
  args: string[];
  env: Record<string, string>;
}

/**
 * The argv and environment that hand a tier's flags, as this command received them, on to
 * a child running that tier: secrets go in the environment, everything else on argv.
 * Values set by flag or environment, or by a default this command changed, are handed on.
 */
export function childFlags<F extends Flags>(cmd: Command, t: Tier<F>, r: Reuse<F> = {}): ChildFlags {
  const raw = cmd.opts();
  const args: string[] = [];
  const env: Record<string, string> = {};
  for (const [key, local] of reused(t, r)) {
    const f = t.flags[key]!;
    const v = raw[local] as unknown;
    // The child has the same defaults; only what differs goes on its command line.
    if (v === undefined || (cmd.getOptionValueSource(local) === 'default' && r.defaults?.[key] === undefined)) continue;
    const long = `--${kebab(key)}`;
    if (!f.arg) {
      if (v === true && !f.negate) args.push(long);
      if (v === false && f.negate) args.push(`--no-${kebab(key)}`);
    } else if (f.repeatable && Array.isArray(v)) {
      for (const x of v) args.push(long, String(x));
    } else if (f.secret) {
      const name = envName(t.name, key, f);
      if (name) env[name] = String(v);
    } else {
      args.push(long, String(v));
    }
  }
  return { args, env };
}
