import { ShoalError } from '../lib/errors.js';

// The app's HTTP errors, each with a stable code that bodies, logs and tests share.

export const badRequest = (message: string, code = 'SHOAL_ERR_BAD_REQUEST') => new ShoalError(code, message, 400);
export const invalidBody = (message: string) => new ShoalError('SHOAL_ERR_VALIDATION', message, 400);
export const malformedJson = (message: string) => new ShoalError('SHOAL_ERR_MALFORMED_JSON', message, 400);
export const invalidId = (what: string) => new ShoalError('SHOAL_ERR_INVALID_ID', `${what} is not a valid id: expected a UUID`, 400);
export const notFound = (what: string, id: string) => new ShoalError('SHOAL_ERR_NOT_FOUND', `${what} ${id} not found`, 404);
export const unknownReference = (what: string, id: string) =>
  new ShoalError('SHOAL_ERR_UNKNOWN_REFERENCE', `${what} ${id} does not exist`, 422);
export const routeNotFound = (method: string, path: string) =>
  new ShoalError('SHOAL_ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`, 404);
export const methodNotAllowed = (method: string, allowed: string) =>
  new ShoalError('SHOAL_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here; allowed: ${allowed}`, 405);
export const bodyTooLarge = (limit: number) => new ShoalError('SHOAL_ERR_BODY_TOO_LARGE', `request body exceeds the ${limit}-byte limit`, 413);
export const unsupportedMediaType = (type: string) =>
  new ShoalError('SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type ${type} is not supported; send application/json`, 415);
export const contentTypeMissing = () => new ShoalError('SHOAL_ERR_UNSUPPORTED_MEDIA_TYPE', 'a request body needs content-type: application/json', 415);
export const conflict = (message: string) => new ShoalError('SHOAL_ERR_CONFLICT', message, 409);
export const invalidIdempotencyKey = () =>
  new ShoalError('SHOAL_ERR_INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be one value of 1-255 visible ASCII characters (a UUID is a good key)', 400);
export const idempotencyKeyReused = () =>
  new ShoalError('SHOAL_ERR_IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request (method, path, caller or body): use a new key', 409);
export const idempotencyKeyInProgress = () =>
  new ShoalError('SHOAL_ERR_IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this Idempotency-Key is still running: retry after Retry-After seconds', 409);
export const dbUnavailable = (message: string, cause?: unknown) => new ShoalError('SHOAL_ERR_DB_UNAVAILABLE', message, 503, { cause });
