import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Instance } from './instance.js';
import type { Group } from './asg/group.js';
import type { LaunchTemplate } from './launch-template.js';

/** What a ClientToken stands for: the reservation its first call made, and that call's fingerprint. */
export interface TokenRecord {
  fingerprint: string;
  reservationId: string;
  instanceIds: string[];
  at: number;
}

interface StateFile {
  instances: Instance[];
  tokens: Record<string, TokenRecord>;
  launchTemplates: LaunchTemplate[];
  groups?: Group[];
}

/**
 * The endpoint's state as plain data, written to one JSON file (atomically, coalesced), so a
 * restarted endpoint still knows its instances, tokens, launch templates and groups.
 */
export class Store {
  /** In launch order: DescribeInstances pages walk it. */
  readonly instances = new Map<string, Instance>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly launchTemplates = new Map<string, LaunchTemplate>();
  /** Auto Scaling groups by name. */
  readonly groups = new Map<string, Group>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly file: string) {}

  load(): void {
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const s = JSON.parse(raw) as StateFile;
    for (const i of s.instances ?? []) this.instances.set(i.instanceId, i);
    for (const [k, v] of Object.entries(s.tokens ?? {})) this.tokens.set(k, v);
    for (const t of s.launchTemplates ?? []) this.launchTemplates.set(t.id, t);
    for (const g of s.groups ?? []) this.groups.set(g.name, g);
  }

  put(i: Instance): void {
    this.instances.set(i.instanceId, i);
    this.changed();
  }

  /** Schedules a write; many changes in one tick cost one write. */
  changed(): void {
    this.timer ??= setTimeout(() => this.flush(), 20);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const s: StateFile = { instances: [...this.instances.values()], tokens: Object.fromEntries(this.tokens), launchTemplates: [...this.launchTemplates.values()], groups: [...this.groups.values()] };
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(s), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
