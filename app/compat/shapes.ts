import { z } from 'zod';
import { badRequest } from '../errors.js';
import { id as uuid, MAX_PLAYLIST_SONGS, type Playlist, type Song, type User } from '../model.js';

// The course system's JSON shapes, and their mapping onto shoal's records. Pure functions:
// the routes read as the API, the tests check the mapping as tables.

/** Reads answer as DynamoDB's own scan did in the originals. */
export interface Items<T> {
  Count: number;
  Items: T[];
}
export const items = <T>(list: T[]): Items<T> => ({ Count: list.length, Items: list });

/** A course-API path id: shoal's ids are UUIDs, so anything else cannot exist (a 404, not a 400). */
export function compatId(value: string | undefined): string | undefined {
  const res = uuid.safeParse(value);
  return res.success ? res.data : undefined;
}

const text = (what: string, max = 200) =>
  z.string({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a string`) }).trim().min(1, { message: `${what} must not be empty` }).max(max, { message: `${what} must be at most ${max} characters` });

/** Unknown extra fields are ignored, as the Flask originals ignored them. */
export const compatSong = z.object({ Artist: text('Artist'), SongTitle: text('SongTitle') });
export const compatSongPatch = compatSong.partial().refine((p) => p.Artist !== undefined || p.SongTitle !== undefined, { message: 'expected Artist or SongTitle' });
export const songItem = (s: Song) => ({ music_id: s.id, Artist: s.artist, SongTitle: s.title });

export const compatUser = z.object({
  fname: text('fname', 100),
  lname: text('lname', 100),
  email: z.email({ error: (i) => (i.input === undefined ? 'email is required' : 'email must be an email address') }).max(254),
});
export const compatUserPatch = compatUser.partial().refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'expected at least one of fname, lname, email' });
export const userItem = (u: User) => ({ user_id: u.id, fname: u.fname, lname: u.lname, email: u.email });

export const loginBody = z.object({ uid: z.string({ error: 'uid is required' }).min(1, { message: 'uid is required' }) });
export const logoffBody = z.object({ jwt: z.string({ error: 'jwt is required' }) });
export const songRef = z.object({ music_id: z.string({ error: 'music_id is required' }).min(1, { message: 'music_id is required' }).max(200) });

/**
 * The course teams' playlist services named their fields differently; each shape is a name
 * field and a songs field. `Name` teams sent the songs as one comma-separated string.
 */
export const PLAYLIST_SHAPES = {
  Name: { name: 'Name', songs: 'Playlist', joined: true },
  ListName: { name: 'ListName', songs: 'Songs', joined: false },
  PlayListName: { name: 'PlayListName', songs: 'Songs', joined: false },
} as const;
export type PlaylistShape = keyof typeof PLAYLIST_SHAPES;
const SHAPE_NAMES = Object.keys(PLAYLIST_SHAPES) as PlaylistShape[];

export function isShape(v: string | undefined): v is PlaylistShape {
  return v !== undefined && (SHAPE_NAMES as string[]).includes(v);
}

/** The shape a body is written in: the first name field it carries. */
export function shapeOf(body: Record<string, unknown>): PlaylistShape | undefined {
  return SHAPE_NAMES.find((s) => body[PLAYLIST_SHAPES[s].name] !== undefined);
}

/** Song references as given (not checked against the music table, as the originals did not). */
export function parseSongs(value: unknown, joined: boolean, field: string): string[] {
  const list = joined && typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw badRequest(`${field} must be ${joined ? 'a comma-separated string of ids' : 'an array of ids'}`, 'SHOAL_ERR_VALIDATION');
  }
  const songs = (list as string[]).map((s) => s.trim()).filter((s) => s !== '');
  if (songs.length > MAX_PLAYLIST_SONGS) throw badRequest(`${field}: at most ${MAX_PLAYLIST_SONGS} songs`, 'SHOAL_ERR_VALIDATION');
  if (songs.some((s) => s.length > 200)) throw badRequest(`${field}: a song id is at most 200 characters`, 'SHOAL_ERR_VALIDATION');
  return songs;
}

/** A create or update body in any of the shapes → name and songs (each undefined when absent). */
export function parsePlaylist(body: unknown, fallback?: PlaylistShape): { shape: PlaylistShape; name?: string; songs?: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('expected a JSON object', 'SHOAL_ERR_VALIDATION');
  const b = body as Record<string, unknown>;
  const shape = shapeOf(b) ?? fallback;
  if (!shape) throw badRequest(`expected a playlist name field: one of ${SHAPE_NAMES.join(', ')}`, 'SHOAL_ERR_VALIDATION');
  const f = PLAYLIST_SHAPES[shape];
  const rawName = b[f.name];
  let name: string | undefined;
  if (rawName !== undefined) {
    const res = text(f.name).safeParse(rawName);
    if (!res.success) throw badRequest(res.error.issues[0]!.message, 'SHOAL_ERR_VALIDATION');
    name = res.data;
  }
  const songs = b[f.songs] === undefined ? undefined : parseSongs(b[f.songs], f.joined, f.songs);
  return { shape, name, songs };
}

/** A playlist as its shape's clients read it: songs always as a list. */
export function playlistItem(p: Playlist, shape: string | undefined): Record<string, unknown> {
  const f = PLAYLIST_SHAPES[isShape(shape) ? shape : 'Name'];
  return { playlist_id: p.id, [f.name]: p.name, [f.songs]: p.songs };
}
