import { ShoalError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { PoolKind } from '../fuzzer/templates.js';

/** Ids `{{song}}`, `{{user}}` and `{{playlist}}` resolve to during a run. */
export type IdPools = Record<PoolKind, string[]>;

export interface Fixtures {
  pools: IdPools;
  /** What setup created, in creation order; cleanup deletes exactly these. */
  created: { kind: PoolKind; id: string }[];
}

const PATHS: Record<PoolKind, string> = { song: '/api/v1/music', user: '/api/v1/users', playlist: '/api/v1/playlists' };
const FIXTURE_USERS = 3;
const FIXTURE_PLAYLISTS = 3;
const FIXTURE_SONGS = 5;
const DISCOVER_PAGES = 3;

async function call(origin: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, authorization?: string): Promise<{ status: number; json: unknown }> {
  // loaded only for files with placeholders: a plain run never pays for undici's start-up
  const { request } = await import('undici');
  const res = await request(origin + path, {
    method,
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(authorization ? { authorization } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  }).catch((err: NodeJS.ErrnoException) => {
    throw new ShoalError('SHOAL_ERR_LOAD_SETUP', `setup: ${method} ${origin}${path} failed: ${err.code ?? err.message}`, 502, { cause: err });
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.statusCode, json };
}

function idOf(json: unknown): string | undefined {
  const id = (json as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Before the clock starts: discover songs (GET /api/v1/music) and create a few users and
 * playlists of our own, only for the placeholders the tests use. Deleting only what we
 * created keeps the catalogue intact.
 */
export async function prepareFixtures(origin: string, needs: Set<PoolKind>, log: Logger, authorization?: string): Promise<Fixtures> {
  const f: Fixtures = { pools: { song: [], user: [], playlist: [] }, created: [] };
  const create = async (kind: PoolKind, body: unknown) => {
    const res = await call(origin, 'POST', PATHS[kind], body, authorization);
    const id = idOf(res.json);
    if (res.status >= 300 || !id) {
      throw new ShoalError('SHOAL_ERR_LOAD_SETUP', `setup: POST ${PATHS[kind]} got ${res.status} ${JSON.stringify(res.json)?.slice(0, 200)}`, 502);
    }
    f.created.push({ kind, id });
    f.pools[kind].push(id);
    return id;
  };
  if (needs.has('song') || needs.has('playlist')) {
    let cursor: string | null = null;
    for (let page = 0; page < DISCOVER_PAGES; page++) {
      const res = await call(origin, 'GET', `${PATHS.song}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, authorization);
      if (res.status !== 200) throw new ShoalError('SHOAL_ERR_LOAD_SETUP', `setup: GET ${PATHS.song} got ${res.status}`, 502);
      const { items, next } = res.json as { items?: unknown[]; next?: string | null };
      for (const it of items ?? []) {
        const id = idOf(it);
        if (id) f.pools.song.push(id);
      }
      cursor = next ?? null;
      if (!cursor) break;
    }
    if (f.pools.song.length === 0) {
      for (let i = 0; i < FIXTURE_SONGS; i++) await create('song', { artist: 'shoal load', title: `fixture song ${i + 1}` });
    }
  }
  if (needs.has('user') || needs.has('playlist')) {
    for (let i = 0; i < FIXTURE_USERS; i++) await create('user', { fname: 'shoal', lname: `load${i + 1}`, email: `shoal.load${i + 1}@example.com` });
  }
  if (needs.has('playlist')) {
    for (let i = 0; i < FIXTURE_PLAYLISTS; i++) {
      await create('playlist', { name: `shoal load fixture ${i + 1}`, owner: f.pools.user[i % f.pools.user.length], songs: f.pools.song.slice(0, 2) });
    }
  }
  log.info({ songs: f.pools.song.length, users: f.pools.user.length, playlists: f.pools.playlist.length, created: f.created.length }, 'load fixtures ready');
  return f;
}

/** Deletes what setup created, newest first (playlists before their owners). */
export async function cleanupFixtures(origin: string, f: Fixtures, log: Logger, authorization?: string): Promise<void> {
  let failed = 0;
  for (const { kind, id } of [...f.created].reverse()) {
    const res = await call(origin, 'DELETE', `${PATHS[kind]}/${id}`, undefined, authorization).catch(() => ({ status: 0 }));
    if (res.status >= 300 && res.status !== 404) failed++;
  }
  if (failed) log.warn({ failed }, 'could not delete every load fixture');
}
