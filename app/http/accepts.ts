import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { idempotent } from './idempotency.js';
import { body } from './validate.js';

/** A write route's first step, and the input it checked (`of`). */
export interface Accepts<T> extends Middleware {
  /** The input this step checked, for the handler after it. */
  of(ctx: Pick<Context, 'state'>): T;
}

/**
 * The first step of every write route (POST/PUT/PATCH/DELETE): the body is checked by
 * `parse` — a bad one is a 400 before anything is claimed or stored — and then the request
 * runs under its `Idempotency-Key`, if it has one (see idempotent). Like Stripe, a request
 * refused for its input leaves no idempotency record: a retry with the same key and a fixed
 * body runs as the first.
 */
export function accepts<T>(parse: (raw: unknown) => T): Accepts<T> {
  const step = (async (ctx, next) => {
    ctx.state.input = parse(ctx.state.body);
    await idempotent(ctx, next);
  }) as Accepts<T>;
  step.of = (ctx) => ctx.state.input as T;
  return step;
}

/** `accepts` for a body checked against a zod schema (a 400 naming the first problem). */
export const acceptsBody = <S extends z.ZodType>(schema: S): Accepts<z.infer<S>> => accepts((raw) => body(schema, raw));

/** `accepts` for a write whose body, if any, is not read (DELETE, or a route that checks it itself). */
export const acceptsNoBody: Accepts<undefined> = accepts(() => undefined);
