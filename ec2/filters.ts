import { ApiError } from './errors.js';
import { STATE_CODES, type Instance } from './instance.js';

/** One `Filter.N` of a Describe call: a name and the values any of which may match. */
export interface Filter {
  name: string;
  values: string[];
}

type Fields<T> = Record<string, (x: T) => readonly (string | undefined)[]>;

/** The DescribeInstances filters the endpoint knows, each reading the values an instance offers. */
const INSTANCE_FIELDS: Fields<Instance> = {
  'instance-id': (i) => [i.instanceId],
  'instance-state-name': (i) => [i.state],
  'instance-state-code': (i) => [String(STATE_CODES[i.state])],
  'instance-type': (i) => [i.instanceType],
  'instance-lifecycle': (i) => [i.lifecycle],
  'image-id': (i) => [i.imageId],
  'availability-zone': (i) => [i.zone],
  'subnet-id': (i) => [i.subnetId],
  'network-interface.subnet-id': (i) => [i.subnetId],
  'vpc-id': (i) => [i.vpcId],
  'reservation-id': (i) => [i.reservationId],
  'key-name': (i) => [i.keyName],
  'client-token': (i) => [i.clientToken],
  'private-ip-address': (i) => [i.state === 'terminated' ? undefined : i.privateIp],
  'iam-instance-profile.arn': (i) => [i.iamInstanceProfileArn],
  'instance.group-id': (i) => i.securityGroupIds,
  'tag-key': (i) => Object.keys(i.tags),
  'tag-value': (i) => Object.values(i.tags),
};

/** AWS filter values allow `*` (any run) and `?` (one character). */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/**
 * A predicate for a Describe call: every filter must match (AND), any of a filter's values
 * may (OR); `tag:KEY` reads the resource's tags. Unknown filter names are rejected up front,
 * as AWS does.
 */
export function matcher<T extends object>(filters: readonly Filter[], fields: Fields<T>): (x: T) => boolean {
  const checks = filters.map((f) => {
    const key = f.name.startsWith('tag:') ? f.name.slice(4) : undefined;
    const field = key !== undefined ? (x: T) => [(x as { tags?: Record<string, string> }).tags?.[key]] : fields[f.name];
    if (!field) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    const patterns = f.values.map(globToRegExp);
    return (x: T) => field(x).some((v) => v !== undefined && patterns.some((p) => p.test(v)));
  });
  return (x) => checks.every((c) => c(x));
}

export function instanceMatcher(filters: readonly Filter[]): (i: Instance) => boolean {
  return matcher(filters, INSTANCE_FIELDS);
}
