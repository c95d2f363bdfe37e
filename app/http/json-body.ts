import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import { ShoalError } from '../../lib/errors.js';
import { bodyTooLarge, contentTypeMissing, malformedJson, unsupportedMediaType } from '../errors.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const decoder = new TextDecoder('utf-8', { fatal: true });

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function isJson(type: string): boolean {
  const t = type.split(';')[0]!.trim().toLowerCase();
  return t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
}

/** Reads at most `limit` bytes; more is a 413 without buffering the rest. */
export function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        done(bodyTooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => done();
    const onAborted = () => done(new ShoalError('SHOAL_ERR_CLIENT_ABORTED', 'the client went away while sending the body', 400));
    const onError = (err: Error) => done(new ShoalError('SHOAL_ERR_CLIENT_ABORTED', `reading the body failed: ${err.message}`, 400));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  });
}

/**
 * Parses a JSON request body into `ctx.state.body` (undefined when there is none).
 * Checks happen before buffering: a missing or wrong content type is a 415 and a declared length
 * over the limit a 413, so a huge body is never read into memory.
 */
export function jsonBody(limit: number): Middleware {
  return async (ctx, next) => {
    if (!BODY_METHODS.has(ctx.method) || !hasBody(ctx.req)) return next();
    // We may answer before reading everything: close the connection so the rest is dropped.
    const refuse = (err: ShoalError) => {
      ctx.set('Connection', 'close');
      return err;
    };
    // a body without a content type is not taken for JSON: the client must say what it sends
    const type = ctx.get('content-type');
    if (!type) throw refuse(contentTypeMissing());
    if (!isJson(type)) throw refuse(unsupportedMediaType(type.split(';')[0]!.trim()));
    const encoding = ctx.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') throw refuse(unsupportedMediaType(`with content-encoding ${encoding}`));
    const declared = Number(ctx.get('content-length') || 0);
    if (declared > limit) throw refuse(bodyTooLarge(limit));
    let raw: Buffer;
    try {
      raw = await readLimited(ctx.req, limit);
    } catch (err) {
      throw refuse(err as ShoalError);
    }
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      throw malformedJson('request body is not valid UTF-8');
    }
    if (text.trim() !== '') {
      try {
        ctx.state.body = JSON.parse(text);
      } catch (err) {
        throw malformedJson(`malformed JSON body: ${(err as Error).message}`);
      }
    }
    await next();
  };
}
