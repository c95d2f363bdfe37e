import type { Prng } from './prng.js';

// Plausible values for generated bodies and headers. Lists only grow at the end: changing
// an entry changes every file generated from a seed.

const FIRST = ['ada', 'alan', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances', 'edsger', 'radia', 'john'];
const LAST = ['lovelace', 'turing', 'hopper', 'torvalds', 'hamilton', 'thompson', 'liskov', 'ritchie', 'allen', 'dijkstra', 'perlman', 'backus'];
const ARTISTS = ['The Beatles', 'Miles Davis', 'Björk', 'Nina Simone', 'Radiohead', 'Fela Kuti', 'Joni Mitchell', 'Daft Punk', 'Ali Farka Touré'];
const TITLES = ['Blue in Green', 'Hyperballad', 'Feeling Good', 'Everything In Its Right Place', 'Zombie', 'A Case of You', 'Get Lucky', 'Savane'];
const INSTRUMENTS = ['guitar', 'bass', 'drums', 'piano', 'trumpet', 'saxophone', 'voice', 'synth', 'kora', 'violin'];
const PLAYLISTS = ['morning run', 'deep focus', 'road trip', 'rainy day', 'late night', 'cooking', 'throwbacks'];

const ACCEPT = ['application/json', '*/*', 'application/json, text/plain;q=0.9, */*;q=0.8', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'];
const USER_AGENTS = ['shoal-load/1', 'curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'python-requests/2.32.3', 'Go-http-client/1.1'];
const LANGUAGES = ['en-US,en;q=0.9', 'fr-CA,fr;q=0.8,en;q=0.5', 'ja', '*'];
const ENCODINGS = ['gzip, deflate, br', 'identity', 'gzip;q=1.0, *;q=0.1'];

export function person(r: Prng): { fname: string; lname: string; email: string } {
  const fname = r.pick(FIRST);
  const lname = r.pick(LAST);
  return { fname, lname, email: `${fname}.${lname}.${r.word(5)}@example.com` };
}

export function song(r: Prng): { artist: string; title: string; instruments?: string[] } {
  const s: { artist: string; title: string; instruments?: string[] } = { artist: r.pick(ARTISTS), title: `${r.pick(TITLES)} (${r.word(4)})` };
  if (r.chance(0.6)) s.instruments = [...new Set([r.pick(INSTRUMENTS), r.pick(INSTRUMENTS)])];
  return s;
}

export function playlistName(r: Prng): string {
  return `${r.pick(PLAYLISTS)} ${r.word(3)}`;
}

/** The header variety the seed's chaos monkey sent: a random, harmless mix per template. */
export function headerMix(r: Prng): Record<string, string> {
  const h: Record<string, string> = {};
  if (r.chance(0.8)) h.accept = r.pick(ACCEPT);
  if (r.chance(0.7)) h['user-agent'] = r.pick(USER_AGENTS);
  if (r.chance(0.4)) h['accept-language'] = r.pick(LANGUAGES);
  if (r.chance(0.4)) h['accept-encoding'] = r.pick(ENCODINGS);
  if (r.chance(0.3)) h['cache-control'] = r.pick(['no-cache', 'max-age=0']);
  if (r.chance(0.3)) h['x-request-id'] = r.word(16);
  if (r.chance(0.15)) h.cookie = `session=${r.word(24)}; theme=dark`;
  return h;
}
