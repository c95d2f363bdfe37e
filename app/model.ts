import { z } from 'zod';

// The three resources as they flow through the API, the store and the CSV loader.
// Input schemas are strict: an unknown field is a 400, not silently dropped.

// A missing field says "is required"; a present one of the wrong type says what it must be.
const typeError = (what: string, type: string) => (iss: { input?: unknown }) => (iss.input === undefined ? `${what} is required` : `${what} must be ${type}`);

const text = (what: string, max = 200) =>
  z
    .string({ error: typeError(what, 'a string') })
    .trim()
    .min(1, { message: `${what} must not be empty` })
    .max(max, { message: `${what} must be at most ${max} characters` });

export const id = z.uuid({ error: typeError('id', 'a UUID') }).transform((v) => v.toLowerCase());

export const newUser = z.strictObject({
  fname: text('fname', 100),
  lname: text('lname', 100),
  email: z.email({ error: typeError('email', 'an email address') }).max(254, { message: 'email must be at most 254 characters' }),
});
export const userPatch = newUser.partial().refine((p) => Object.keys(p).length > 0, { message: 'expected at least one of fname, lname, email' });

export const newSong = z.strictObject({
  artist: text('artist'),
  title: text('title'),
  instruments: z.array(text('instrument', 100), { error: typeError('instruments', 'an array of strings') }).max(50, { message: 'at most 50 instruments' }).optional(),
});

export const MAX_PLAYLIST_SONGS = 500;
export const newPlaylist = z.strictObject({
  name: text('name'),
  owner: z.uuid({ error: typeError('owner', 'a user id (UUID)') }).transform((v) => v.toLowerCase()).optional(),
  songs: z.array(id, { error: typeError('songs', 'an array of song ids') }).max(MAX_PLAYLIST_SONGS, { message: `at most ${MAX_PLAYLIST_SONGS} songs` }).optional(),
});
export const playlistPatch = z.strictObject({ name: text('name') });
export const playlistSong = z.strictObject({ songId: z.uuid({ error: typeError('songId', 'a UUID') }).transform((v) => v.toLowerCase()) });

export type NewUser = z.infer<typeof newUser>;
export type UserPatch = z.infer<typeof userPatch>;
export type NewSong = z.infer<typeof newSong>;
export type NewPlaylist = z.infer<typeof newPlaylist>;

/** Stored records carry the server-made id and ISO timestamps. */
export interface User extends NewUser {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface Song {
  id: string;
  artist: string;
  title: string;
  instruments: string[];
  createdAt: string;
  /** Where `shoal ingest midi` read the song (a file:// or s3:// URI) and that object's version (ETag, or mtime:size). */
  source?: string;
  sourceTag?: string;
}

export interface Playlist {
  id: string;
  name: string;
  owner?: string;
  songs: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, or null at the end. */
  next: string | null;
}
