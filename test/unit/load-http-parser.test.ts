import t from 'tap';
import { PARSE_ERROR, ResponseParser } from '../../load/http/http-parser.js';

interface Answer {
  status: number;
  bytes: number;
  keepAlive: boolean;
  body?: string;
}

interface Case {
  name: string;
  wire: string;
  /** Requests waiting, in order: HEAD or not, wants the body or not (default: GETs, one more than the answers). */
  requests?: { head?: boolean; body?: boolean }[];
  /** The socket closes after the wire (a body that runs until close ends there). */
  close?: boolean;
  answers: Answer[];
  /** Fails after the answers listed. */
  error?: RegExp;
}

const ok2 = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok';
const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6 ; ext\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n';

const cases: Case[] = [
  { name: 'content-length', wire: ok2, requests: [{ body: true }], answers: [{ status: 200, bytes: ok2.length, keepAlive: true, body: 'ok' }] },
  { name: 'header names in any case, blanks around the value', wire: 'HTTP/1.1 201 Created\r\nCONTENT-LENGTH:  3 \r\n\r\nabc', requests: [{ body: true }], answers: [{ status: 201, bytes: 48, keepAlive: true, body: 'abc' }] },
  { name: 'no reason phrase', wire: 'HTTP/1.1 200\r\ncontent-length: 0\r\n\r\n', answers: [{ status: 200, bytes: 35, keepAlive: true }] },
  { name: 'chunked with extensions and trailers', wire: chunked, requests: [{ body: true }], answers: [{ status: 200, bytes: chunked.length, keepAlive: true, body: 'hello world' }] },
  { name: 'chunked, upper-case hex', wire: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n', requests: [{ body: true }], answers: [{ status: 200, bytes: 67, keepAlive: true, body: '0123456789' }] },
  {
    name: 'pipelined: three answers in one stream, the body kept only where asked',
    wire: ok2 + 'HTTP/1.1 204 No Content\r\n\r\n' + chunked,
    requests: [{}, {}, { body: true }],
    answers: [
      { status: 200, bytes: ok2.length, keepAlive: true },
      { status: 204, bytes: 27, keepAlive: true },
      { status: 200, bytes: chunked.length, keepAlive: true, body: 'hello world' },
    ],
  },
  { name: 'Connection: close', wire: 'HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 2\r\n\r\nok', answers: [{ status: 200, bytes: 59, keepAlive: false }] },
  { name: 'HTTP/1.0 closes by default', wire: 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok', answers: [{ status: 200, bytes: 40, keepAlive: false }] },
  { name: 'HTTP/1.0 with keep-alive', wire: 'HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 2\r\n\r\nok', answers: [{ status: 200, bytes: 64, keepAlive: true }] },
  {
    name: 'HEAD, 204 and 304 have no body whatever the headers say',
    wire: 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nHTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\nHTTP/1.1 304 Not Modified\r\ncontent-length: 7\r\n\r\n' + ok2,
    requests: [{ head: true }, {}, {}, { body: true }],
    answers: [
      { status: 200, bytes: 40, keepAlive: true },
      { status: 204, bytes: 46, keepAlive: true },
      { status: 304, bytes: 48, keepAlive: true },
      { status: 200, bytes: ok2.length, keepAlive: true, body: 'ok' },
    ],
  },
  { name: '100 Continue is skipped; the final answer counts', wire: 'HTTP/1.1 100 Continue\r\n\r\n' + ok2, answers: [{ status: 200, bytes: 25 + ok2.length, keepAlive: true }] },
  { name: 'no length: the body runs until close', wire: 'HTTP/1.1 200 OK\r\n\r\nuntil the end', requests: [{ body: true }], close: true, answers: [{ status: 200, bytes: 32, keepAlive: false, body: 'until the end' }] },
  { name: 'an unknown transfer-encoding runs until close', wire: 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nzz', close: true, answers: [{ status: 200, bytes: 46, keepAlive: false }] },
  { name: 'chunked wins over content-length, and the connection is not reused', wire: 'HTTP/1.1 200 OK\r\ncontent-length: 99\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', requests: [{ body: true }], answers: [{ status: 200, bytes: 79, keepAlive: false, body: 'ok' }] },
  { name: 'malformed: not HTTP', wire: 'HTTX/1.1 200 OK\r\n\r\n', answers: [], error: /bad status line/ },
  { name: 'malformed: status not a number', wire: 'HTTP/1.1 2x0 OK\r\n\r\n', answers: [], error: /bad status line/ },
  { name: 'malformed: HTTP/2.0', wire: 'HTTP/2.0 200 OK\r\n\r\n', answers: [], error: /bad status line/ },
  { name: 'malformed: header without a colon', wire: 'HTTP/1.1 200 OK\r\nbroken header\r\n\r\n', answers: [], error: /bad header line/ },
  { name: 'malformed: content-length not a number', wire: 'HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n', answers: [], error: /bad content-length/ },
  { name: 'malformed: two different content-lengths', wire: 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nok', answers: [], error: /bad content-length/ },
  { name: 'malformed: chunk size not hex', wire: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', answers: [], error: /bad chunk size/ },
  { name: 'malformed: chunk data longer than its size', wire: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nokay\r\n0\r\n\r\n', answers: [], error: /not followed by CRLF/ },
  { name: 'malformed: an answer no request was waiting for', wire: ok2 + ok2, requests: [{}], answers: [{ status: 200, bytes: ok2.length, keepAlive: true }], error: /no request was waiting/ },
  { name: 'malformed: closed mid-body', wire: 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort', close: true, answers: [], error: /closed mid-response/ },
  { name: 'malformed: a head that never ends', wire: 'HTTP/1.1 200 OK\r\n' + 'x-pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(700), answers: [], error: /head too large/ },
];

/** Feeds `pieces` to a fresh parser and returns what it reported. */
function parse(c: Case, pieces: Buffer[]): { answers: Answer[]; error?: string } {
  const requests: { head?: boolean; body?: boolean }[] = [...(c.requests ?? Array.from({ length: c.answers.length + 1 }, () => ({})))];
  const answers: Answer[] = [];
  const p = new ResponseParser({
    onHead() {
      const r = requests.shift();
      if (!r) return false;
      p.noBody = r.head === true;
      p.keepBody = r.body === true;
      return true;
    },
    onEnd(status, bytes, keepAlive, body) {
      answers.push(body === undefined ? { status, bytes, keepAlive } : { status, bytes, keepAlive, body: body.toString('latin1') });
    },
  });
  for (const piece of pieces) {
    if (p.execute(piece) === PARSE_ERROR) return { answers, error: p.reason };
  }
  if (c.close && p.finish() === PARSE_ERROR) return { answers, error: p.reason };
  return { answers };
}

for (const c of cases) {
  t.test(c.name, async (t) => {
    const wire = Buffer.from(c.wire, 'latin1');
    const check = (how: string, pieces: Buffer[]) => {
      const got = parse(c, pieces);
      t.same(got.answers, c.answers, `${how}: answers`);
      if (c.error) t.match(got.error, c.error, `${how}: error`);
      else t.equal(got.error, undefined, `${how}: no error`);
    };
    check('whole', [wire]);
    // split into two packets at every byte boundary, and one byte at a time
    let splitsOk = true;
    for (let i = 1; i < wire.length && splitsOk; i++) {
      const got = parse(c, [wire.subarray(0, i), wire.subarray(i)]);
      splitsOk = JSON.stringify(got.answers) === JSON.stringify(c.answers) && (c.error ? c.error.test(got.error ?? '') : got.error === undefined);
      if (!splitsOk) t.fail(`split at byte ${i}: ${JSON.stringify(got)}`);
    }
    t.ok(splitsOk, `the same at each of the ${wire.length - 1} split points`);
    check('byte by byte', [...wire].map((b) => Buffer.from([b])));
  });
}

t.test('a parser reset for a new socket starts clean after an error', async (t) => {
  let n = 0;
  const p = new ResponseParser({ onHead: () => true, onEnd: () => void n++ });
  t.equal(p.execute(Buffer.from('garbage\r\n\r\n')), PARSE_ERROR);
  t.equal(p.execute(Buffer.from(ok2)), undefined, 'a halted parser ignores bytes');
  t.equal(n, 0);
  p.reset();
  t.equal(p.execute(Buffer.from(ok2)), undefined);
  t.equal(n, 1);
});
