import { dbUnavailable } from '../errors.js';
import { ShoalError } from '../../lib/errors.js';

interface SdkError extends Error {
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'LimitExceededException']);
const AUTH = new Set(['CredentialsProviderError', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException', 'AccessDeniedException', 'MissingAuthenticationTokenException']);

/**
 * Turns an SDK failure that is DynamoDB's fault (down, throttling, missing table, refused
 * credentials) into a 503 with a message an operator can act on. Anything else is ours: rethrown.
 */
export function dbError(err: unknown, target: string): unknown {
  if (err instanceof ShoalError) return err;
  const e = err as SdkError;
  const name = e?.name ?? '';
  const code = e?.code ?? (e?.cause as SdkError | undefined)?.code ?? '';
  if (name === 'ResourceNotFoundException') {
    return dbUnavailable(`a DynamoDB table is missing at ${target}: run \`shoal tables create\` or start the app with --create-tables`, err);
  }
  if (UNREACHABLE.has(code) || name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError' || (e?.$metadata && e.$metadata.httpStatusCode === undefined && !e.$fault)) {
    return dbUnavailable(`DynamoDB at ${target} is unreachable (${code || name}): retry later`, err);
  }
  if (THROTTLED.has(name)) return dbUnavailable(`DynamoDB at ${target} is throttling requests (${name}): retry later`, err);
  if (AUTH.has(name)) return dbUnavailable(`DynamoDB at ${target} refused our credentials (${name}): check the AWS credentials and permissions`, err);
  if (e?.$fault === 'server' || (e?.$metadata?.httpStatusCode ?? 0) >= 500) {
    return dbUnavailable(`DynamoDB at ${target} failed (${name}): retry later`, err);
  }
  return err;
}

export function isConditionFailed(err: unknown): boolean {
  return (err as Error)?.name === 'ConditionalCheckFailedException';
}
