import { ApiError } from './errors.js';

/** What a SigV4 Authorization header says about the caller; the signature is not checked. */
export interface Credential {
  accessKeyId: string;
  region: string;
  service: string;
}

const HEADER = /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request\s*,\s*SignedHeaders=[^,\s]+\s*,\s*Signature=[0-9a-f]+\s*$/;

/**
 * Parses SigV4 from the Authorization header or a presigned query (`X-Amz-Credential`).
 * Any access key is accepted: the endpoint stands in for AWS on a laptop, where there is
 * no account to check against. A request with no signature at all is refused, as AWS does.
 */
export function parseSigV4(authorization: string | undefined, queryCredential: string | undefined): Credential {
  if (authorization) {
    const m = HEADER.exec(authorization);
    if (!m) throw new ApiError('IncompleteSignature', 'Authorization header requires Credential, SignedHeaders and Signature (AWS4-HMAC-SHA256).');
    return { accessKeyId: m[1]!, region: m[3]!, service: m[4]! };
  }
  if (queryCredential) {
    const [accessKeyId, , region, service] = queryCredential.split('/');
    if (accessKeyId && region && service) return { accessKeyId, region, service };
    throw new ApiError('IncompleteSignature', 'X-Amz-Credential is malformed.');
  }
  throw new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
}
