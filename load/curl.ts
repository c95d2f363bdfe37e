import { IDEMPOTENCY_KEY } from '../fuzzer/templates.js';
import type { Rendered } from './request.js';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Bodies longer than this are rebuilt by a shell pipeline instead of pasted inline. */
const INLINE_BODY = 2048;
const RUN = /([\x20-\x7e])\1{255,}/g;

/**
 * A shell line that sends this request again, for a finding. Its Idempotency-Key is left
 * out: with it the app would only replay the stored answer instead of running it again.
 */
export function curlLine(origin: string, req: Rendered): string {
  const args = ['curl', '-sS', '-i', '-g'];
  if (/\/\.\.?(\/|$|\?)/.test(req.path)) args.push('--path-as-is');
  if (req.method === 'HEAD') args.push('-I');
  else if (req.method !== 'GET' || req.body !== null) args.push('-X', req.method);
  args.push(q(origin + req.path));
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() !== IDEMPOTENCY_KEY) args.push('-H', q(`${k}: ${v}`));
  if (req.body === null) return args.join(' ');
  if (req.body.length <= INLINE_BODY) return [...args, '--data-binary', q(req.body)].join(' ');
  return `{ ${bodyPipeline(req.body)}; } | ${[...args, '--data-binary', '@-'].join(' ')}`;
}

/** printf for literal stretches, `head -c N /dev/zero | tr` for long runs of one character. */
function bodyPipeline(body: string): string {
  const cmds: string[] = [];
  let last = 0;
  for (const m of body.matchAll(RUN)) {
    if (m.index > last) cmds.push(`printf '%s' ${q(body.slice(last, m.index))}`);
    cmds.push(`head -c ${m[0].length} /dev/zero | tr '\\0' ${q(m[1]!)}`);
    last = m.index + m[0].length;
  }
  if (last < body.length) cmds.push(`printf '%s' ${q(body.slice(last))}`);
  return cmds.join('; ');
}
