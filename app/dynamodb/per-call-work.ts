import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Config = DynamoDBClient['config'];

/**
 * Work the SDK redoes on every call although its answer never changes for a client, done
 * once instead. Both are providers the SDK documents as client configuration, replaced by
 * memoized ones on the resolved config its middleware reads:
 *
 * - the request signer: for a client without a region-info provider (every current one) the
 *   SDK builds a new SigV4 signer per call, from a copy of the whole client config, so the
 *   signer's signing-key cache is always empty and each call derives the key again (five
 *   HMACs). One signer per auth scheme keeps the cache; credentials are still asked of their
 *   provider on each signature, so rotation works as before.
 * - the default user agent: rebuilt per call (os.release(), the runtime, the app id) though
 *   none of it changes while the process runs.
 */
export function reusePerCallWork(client: DynamoDBClient): void {
  const config: Config = client.config;
  const makeSigner = config.signer;
  const signers = new Map<string, ReturnType<typeof makeSigner>>();
  config.signer = (scheme) => {
    const key = `${scheme?.name}|${scheme?.signingName}|${scheme?.signingRegion}`;
    let signer = signers.get(key);
    if (!signer) {
      signer = makeSigner(scheme);
      // a failure (no region yet) is not kept: the next call asks again
      signer.catch(() => signers.delete(key));
      signers.set(key, signer);
    }
    return signer;
  };
  const userAgent = config.defaultUserAgentProvider;
  let ua: ReturnType<typeof userAgent> | undefined;
  config.defaultUserAgentProvider = () => (ua ??= userAgent());
}
