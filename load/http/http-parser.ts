/**
 * A minimal incremental HTTP/1.1 response parser for the load generator's client: the
 * status line, Content-Length, chunked transfer-encoding (extensions and trailers are
 * skipped), Connection: close/keep-alive, and bodies that run until the socket closes.
 * It reads only what a load report needs — status, byte count, keep-alive, and the body
 * when a chain step must extract an id from it — so the common case (a whole response in
 * one packet) costs one native search for the head's end and a short scan of its lines.
 */

/** What the parser tells its connection. */
export interface ResponseEvents {
  /**
   * A final response head was parsed. The connection sets `noBody` (a HEAD request) and
   * `keepBody` (a chain step that reads the answer) here; false means no request was
   * waiting for this response, which is a protocol error.
   */
  onHead(status: number): boolean;
  /** The response is complete; `bytes` counts head and body as received. */
  onEnd(status: number, bytes: number, keepAlive: boolean, body: Buffer | undefined): void;
}

/** The one error code a malformed response gets; `reason` says what was wrong. */
export const PARSE_ERROR = 'SHOAL_ERR_HTTP_PARSE';

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Dead,
}

const CR = 13;
const LF = 10;
const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
/** Largest response head (or chunk-size / trailer line) accepted, like Node's 16 KiB header limit with room to spare. */
const MAX_HEAD = 64 * 1024;

export class ResponseParser {
  /** Set in onHead: the request was HEAD, so no body follows whatever the headers say. */
  noBody = false;
  /** Set in onHead: collect the body for onEnd. */
  keepBody = false;
  /** Why execute() or finish() failed. */
  reason = '';
  private state = State.Head;
  /** Bytes of an incomplete head or line, carried over to the next packet. */
  private carry: Buffer | undefined;
  private status = 0;
  private keepAlive = true;
  private remaining = 0;
  private bytes = 0;
  private chunks: Buffer[] | undefined;
  private crlfLeft = 0;

  constructor(private readonly events: ResponseEvents) {}

  /** True between a response's first byte and its end: a close now would cut it short. */
  get midResponse(): boolean {
    return this.state !== State.Head || this.carry !== undefined;
  }

  /** True while a head has arrived and the body is still coming (for the body timeout). */
  get inBody(): boolean {
    return this.state !== State.Head && this.state !== State.Dead;
  }

  /** Ready for a new socket. */
  reset(): void {
    this.state = State.Head;
    this.carry = undefined;
    this.chunks = undefined;
    this.bytes = 0;
    this.reason = '';
  }

  /** Stops parsing: every later byte is ignored (the connection is being closed). */
  halt(): void {
    this.state = State.Dead;
    this.carry = undefined;
    this.chunks = undefined;
  }

  /** Feeds one packet. Returns PARSE_ERROR (and halts) when the response is malformed. */
  execute(buf: Buffer): string | undefined {
    let data = buf;
    let i = 0;
    if (this.carry) {
      data = Buffer.concat([this.carry, buf]);
      this.carry = undefined;
    }
    const len = data.length;
    while (i < len) {
      switch (this.state) {
        case State.Head: {
          const end = data.indexOf(CRLF2, i);
          if (end === -1) {
            if (len - i > MAX_HEAD) return this.fail('response head too large');
            this.carry = data.subarray(i);
            return undefined;
          }
          if (end - i > MAX_HEAD) return this.fail('response head too large');
          if (!this.head(data, i, end)) return PARSE_ERROR;
          i = end + 4;
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, len - i);
          this.take(data, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.end();
          break;
        }
        case State.ChunkSize:
        case State.Trailers: {
          const nl = data.indexOf(LF, i);
          if (nl === -1) {
            if (len - i > MAX_HEAD) return this.fail('chunk line too long');
            this.carry = data.subarray(i);
            return undefined;
          }
          this.bytes += nl + 1 - i;
          if (nl === i || data[nl - 1] !== CR) return this.fail('chunk line not ended by CRLF');
          if (this.state === State.ChunkSize) {
            const size = chunkSize(data, i, nl - 1);
            if (size < 0) return this.fail('bad chunk size');
            if (size === 0) this.state = State.Trailers;
            else {
              this.remaining = size;
              this.state = State.ChunkData;
            }
          } else if (nl - 1 === i) this.end(); // the empty line after the trailers
          i = nl + 1;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, len - i);
          this.take(data, i, n);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = State.ChunkEnd;
            this.crlfLeft = 2;
          }
          break;
        }
        case State.ChunkEnd: {
          if (data[i] !== (this.crlfLeft === 2 ? CR : LF)) return this.fail('chunk data not followed by CRLF');
          i++;
          this.bytes++;
          if (--this.crlfLeft === 0) this.state = State.ChunkSize;
          break;
        }
        case State.UntilClose:
          this.take(data, i, len - i);
          i = len;
          break;
        case State.Dead:
          return undefined;
      }
    }
    return undefined;
  }

  /**
   * The socket closed. A body that runs until close ends here; a response cut short
   * returns PARSE_ERROR. Nothing pending returns undefined.
   */
  finish(): string | undefined {
    if (this.state === State.UntilClose) {
      this.keepAlive = false;
      this.end();
      this.state = State.Dead;
      return undefined;
    }
    if (this.midResponse && this.state !== State.Dead) return this.fail('connection closed mid-response');
    this.state = State.Dead;
    return undefined;
  }

  private fail(reason: string): string {
    this.reason = reason;
    this.halt();
    return PARSE_ERROR;
  }

  private take(data: Buffer, i: number, n: number): void {
    this.bytes += n;
    if (this.chunks && n > 0) this.chunks.push(data.subarray(i, i + n));
  }

  private end(): void {
    const chunks = this.chunks;
    this.chunks = undefined;
    this.state = State.Head;
    const body = chunks ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)) : undefined;
    const bytes = this.bytes;
    this.bytes = 0;
    this.events.onEnd(this.status, bytes, this.keepAlive, body);
  }

  /** Parses the head in data[start, end) (end = the CRLFCRLF); false after fail(). */
  private head(data: Buffer, start: number, end: number): boolean {
    // "HTTP/1.x SSS" — the reason phrase is optional and ignored
    if (end - start < 12 || !sameName(data, start, 'http/1.') || data[start + 8] !== 32) return !this.fail('bad status line');
    const minor = data[start + 7]! - 48;
    const status = (data[start + 9]! - 48) * 100 + (data[start + 10]! - 48) * 10 + (data[start + 11]! - 48);
    if ((minor !== 0 && minor !== 1) || !isDigit(data[start + 9]!) || !isDigit(data[start + 10]!) || !isDigit(data[start + 11]!) || status < 100) return !this.fail('bad status line');
    if (end - start > 12 && data[start + 12] !== 32 && data[start + 12] !== CR) return !this.fail('bad status line');
    let keepAlive = minor === 1;
    let length = -1;
    let chunked = false;
    let encoded = false;
    let i = data.indexOf(LF, start) + 1;
    while (i > 0 && i < end + 2) {
      let nl = data.indexOf(LF, i);
      if (nl === -1 || nl > end + 2) nl = end + 2;
      const lineEnd = data[nl - 1] === CR ? nl - 1 : nl;
      const colon = data.indexOf(58, i);
      if (colon === -1 || colon >= lineEnd || colon === i) return !this.fail('bad header line');
      const nameLen = colon - i;
      if (nameLen === 14 && sameName(data, i, 'content-length')) {
        const v = digits(data, colon + 1, lineEnd);
        if (v < 0 || (length !== -1 && length !== v)) return !this.fail('bad content-length');
        length = v;
      } else if (nameLen === 17 && sameName(data, i, 'transfer-encoding')) {
        encoded = true;
        chunked = /(?:^|,)\s*chunked\s*$/i.test(data.toString('latin1', colon + 1, lineEnd));
      } else if (nameLen === 10 && sameName(data, i, 'connection')) {
        const v = data.toString('latin1', colon + 1, lineEnd).toLowerCase();
        if (v.includes('close')) keepAlive = false;
        else if (v.includes('keep-alive')) keepAlive = true;
      }
      i = nl + 1;
    }
    this.bytes += end + 4 - start;
    if (status < 200 && status !== 101) return true; // an interim answer (100 Continue): the final one follows
    this.status = status;
    if (!this.events.onHead(status)) return !this.fail('a response no request was waiting for');
    this.chunks = this.keepBody ? [] : undefined;
    if (this.noBody || status === 204 || status === 304 || status < 200) {
      this.keepAlive = keepAlive && status !== 101;
      this.end();
    } else if (encoded) {
      // RFC 9112 §6.3: chunked wins over Content-Length (and the connection is not reused);
      // any other encoding runs until the server closes.
      this.keepAlive = keepAlive && length === -1 && chunked;
      this.state = chunked ? State.ChunkSize : State.UntilClose;
    } else if (length >= 0) {
      this.keepAlive = keepAlive;
      this.remaining = length;
      if (length === 0) this.end();
      else this.state = State.Body;
    } else {
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
    return true;
  }
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Case-insensitive compare of data[i, i + name.length) with a lower-case name. */
function sameName(data: Buffer, i: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    if ((data[i + k]! | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** A decimal value between optional blanks, or −1. */
function digits(data: Buffer, i: number, end: number): number {
  while (i < end && (data[i] === 32 || data[i] === 9)) i++;
  while (end > i && (data[end - 1] === 32 || data[end - 1] === 9)) end--;
  if (i === end || end - i > 15) return -1;
  let v = 0;
  for (; i < end; i++) {
    const c = data[i]!;
    if (!isDigit(c)) return -1;
    v = v * 10 + c - 48;
  }
  return v;
}

/** A chunk-size line's hex size (extensions after ';' ignored), or −1. */
function chunkSize(data: Buffer, i: number, end: number): number {
  let v = 0;
  let n = 0;
  for (; i < end; i++, n++) {
    const c = data[i]! | 0x20;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) break;
    if (n >= 12) return -1;
    v = v * 16 + d;
  }
  if (n === 0) return -1;
  while (i < end && (data[i] === 32 || data[i] === 9)) i++;
  return i === end || data[i] === 59 ? v : -1;
}
