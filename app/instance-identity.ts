import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { ShoalError } from '../lib/errors.js';

/** Who this app server is on EC2, as the instance metadata service (IMDSv2) tells it. */
export interface InstanceIdentity {
  instanceId: string;
  privateIp: string;
  zone: string;
  region: string;
}

/**
 * Reads the instance's identity over IMDSv2 (a session token, then GETs). The SDK's client
 * honours AWS_EC2_METADATA_SERVICE_ENDPOINT, which the embedded EC2 endpoint sets for each
 * instance; on EC2 it is the link-local default.
 */
export async function readInstanceIdentity(opts: { timeoutMs?: number; retries?: number } = {}): Promise<InstanceIdentity> {
  const imds = new MetadataService({ httpOptions: { timeout: opts.timeoutMs ?? 1000 }, retries: opts.retries ?? 3, ec2MetadataV1Disabled: true });
  // The client prefixes the endpoint's path ("/"), so the path goes without its leading slash.
  const get = (path: string) => imds.request(`latest/meta-data/${path}`, {}).then((v) => v.trim());
  try {
    const [instanceId, privateIp, zone, region] = await Promise.all([get('instance-id'), get('local-ipv4'), get('placement/availability-zone'), get('placement/region')]);
    return { instanceId, privateIp, zone, region };
  } catch (err) {
    throw new ShoalError('SHOAL_ERR_IMDS', `cannot read the instance identity from the instance metadata service (provider ec2): ${(err as Error).message}`, 500, { cause: err });
  }
}
