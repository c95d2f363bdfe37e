import type Router from '@koa/router';
import t from 'tap';
import type { LoginGuard } from '../../app/auth/login-guard.js';
import type { TokenService } from '../../app/auth/tokens.js';
import { compatMusicRoutes } from '../../app/compat/music.js';
import { compatPlaylistRoutes } from '../../app/compat/playlists.js';
import { compatUserRoutes } from '../../app/compat/users.js';
import { musicRoutes } from '../../app/routes/music.js';
import { playlistRoutes } from '../../app/routes/playlists.js';
import { sessionRoutes } from '../../app/routes/sessions.js';
import { userRoutes } from '../../app/routes/users.js';

// The Idempotency-Key is claimed by a write route's first step (accepts), after its body is
// checked: a write route without that step would run without its key. Building the routers
// touches neither the token service nor the guard.
const tokens = {} as TokenService;
const guard = {} as LoginGuard;
const routers: [string, Router][] = [
  ['users', userRoutes()],
  ['music', musicRoutes()],
  ['playlists', playlistRoutes()],
  ['sessions', sessionRoutes(tokens, guard)],
  ['compat user', compatUserRoutes(tokens)],
  ['compat music', compatMusicRoutes()],
  ['compat playlist', compatPlaylistRoutes()],
];
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

t.test('every write route checks its input, then runs under its Idempotency-Key, before its handler', async (t) => {
  let writes = 0;
  for (const [name, router] of routers) {
    for (const layer of router.stack) {
      if (!layer.methods.some((m) => WRITES.includes(m))) continue;
      writes++;
      const first = layer.stack[0] as unknown as { of?: unknown };
      t.equal(layer.stack.length, 2, `${name} ${layer.methods.join(',')} ${layer.path}: a step and a handler`);
      t.type(first.of, 'function', `${name} ${layer.methods.join(',')} ${layer.path}: its first step is accepts`);
    }
  }
  t.ok(writes >= 25, `found the write routes (${writes})`);
});
