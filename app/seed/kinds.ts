import type { z } from 'zod';
import { newPlaylist, newSong, newUser } from '../model.js';

const list = (v: string | undefined) =>
  (v ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
const optional = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

type Item = Record<string, unknown>;

/** How one CSV maps onto one table: columns, validation, and the item written. */
/** The tables a CSV can fill (the similar-songs table is computed, never seeded). */
export type SeedTable = 'users' | 'music' | 'playlists';

export interface Kind {
  table: SeedTable;
  required: string[];
  schema: z.ZodType;
  /** CSV record → the API's input shape (then validated with `schema`). */
  input(record: Record<string, string>): unknown;
  /** The fields compared to decide whether a stored item already matches. */
  content(input: Item): Item;
  /** The item to store; keeps `createdAt` (and bumps `version`) of an existing one. */
  item(id: string, input: Item, existing: Item | undefined, now: string): Item;
}

const stamp = (existing: Item | undefined, now: string) => ({ createdAt: (existing?.createdAt as string) ?? now, updatedAt: now });

export const KINDS: Record<SeedTable, Kind> = {
  users: {
    table: 'users',
    required: ['fname', 'lname', 'email'],
    schema: newUser,
    input: (r) => ({ fname: r.fname, lname: r.lname, email: r.email }),
    content: (i) => ({ fname: i.fname, lname: i.lname, email: i.email }),
    item: (id, i, existing, now) => ({ id, fname: i.fname, lname: i.lname, email: i.email, ...stamp(existing, now) }),
  },
  music: {
    table: 'music',
    required: ['artist', 'title'],
    schema: newSong,
    input: (r) => ({ artist: r.artist, title: r.title, instruments: list(r.instruments) }),
    content: (i) => ({ artist: i.artist, title: i.title, instruments: i.instruments ?? [] }),
    item: (id, i, existing, now) => ({ id, artist: i.artist, title: i.title, instruments: i.instruments ?? [], createdAt: (existing?.createdAt as string) ?? now }),
  },
  playlists: {
    table: 'playlists',
    required: ['name'],
    schema: newPlaylist,
    input: (r) => ({ name: r.name, owner: optional(r.owner), songs: list(r.songs) }),
    content: (i) => ({ name: i.name, owner: i.owner ?? null, songs: [...new Set((i.songs as string[] | undefined) ?? [])] }),
    item: (id, i, existing, now) => ({
      id,
      name: i.name,
      ...(i.owner ? { owner: i.owner } : {}),
      songs: [...new Set((i.songs as string[] | undefined) ?? [])],
      ...stamp(existing, now),
      version: Number(existing?.version ?? 0) + 1,
    }),
  },
};
