import { ApiError } from './errors.js';
import type { QueryParams } from './query.js';

export type TagMap = Record<string, string>;

/**
 * What an instance is launched from: RunInstances' own parameters and a launch template's
 * data share these fields (and their query names), so one parser reads both.
 */
export interface LaunchSpec {
  imageId?: string;
  instanceType?: string;
  keyName?: string;
  /** Base64, as sent. */
  userData?: string;
  securityGroupIds: string[];
  iamInstanceProfile?: { arn?: string; name?: string };
  subnetId?: string;
  zone?: string;
  /** `InstanceMarketOptions.MarketType=spot`: a Spot instance (absent: On-Demand). */
  market?: 'spot';
  /** Tags by resource type: `instance`, `volume`, `network-interface`. */
  tags: Record<string, TagMap>;
}

const TAGGABLE = new Set(['instance', 'volume', 'network-interface']);

export function parseTags(q: QueryParams, name = 'Tag'): TagMap {
  const tags: TagMap = {};
  for (const t of q.structs(name)) {
    const key = t.required('Key');
    if (key.toLowerCase().startsWith('aws:')) throw new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use (${key})`);
    if (key.length > 128) throw ApiError.invalidValue('Tag.Key', key, 'Tag keys are at most 128 characters');
    const value = t.str('Value') ?? '';
    if (value.length > 256) throw ApiError.invalidValue('Tag.Value', value, 'Tag values are at most 256 characters');
    tags[key] = value;
  }
  if (Object.keys(tags).length > 50) throw new ApiError('TagLimitExceeded', 'A resource can have at most 50 tags');
  return tags;
}

/** Reads the launch fields of RunInstances or of a launch template's `LaunchTemplateData`. */
export function parseLaunchSpec(q: QueryParams): LaunchSpec {
  const spec: LaunchSpec = { securityGroupIds: q.list('SecurityGroupId'), tags: {} };
  for (const [k, v] of [
    ['imageId', q.str('ImageId')],
    ['instanceType', q.str('InstanceType')],
    ['keyName', q.str('KeyName')],
    ['userData', q.str('UserData')],
    ['subnetId', q.str('SubnetId')],
    ['zone', q.str('Placement.AvailabilityZone')],
  ] as const) {
    if (v !== undefined && v !== '') spec[k] = v;
  }
  const market = q.str('InstanceMarketOptions.MarketType');
  if (market !== undefined && market !== 'spot') throw ApiError.invalidValue('InstanceMarketOptions.MarketType', market, 'expected spot');
  if (market) spec.market = 'spot';
  const profile = q.struct('IamInstanceProfile');
  if (profile) spec.iamInstanceProfile = { arn: profile.str('Arn'), name: profile.str('Name') };

  const nics = q.structs('NetworkInterface');
  if (nics.length > 1) throw new ApiError('InvalidParameterValue', 'The embedded endpoint supports one network interface per instance (DeviceIndex 0)');
  const nic = nics[0];
  if (nic) {
    if (spec.subnetId) throw ApiError.invalidCombination('Network interfaces and an instance-level subnet ID may not be specified on the same request');
    if (spec.securityGroupIds.length) throw ApiError.invalidCombination('Network interfaces and an instance-level security groups may not be specified on the same request');
    const subnet = nic.str('SubnetId');
    if (subnet) spec.subnetId = subnet;
    spec.securityGroupIds = nic.list('SecurityGroupId');
  }

  for (const ts of q.structs('TagSpecification')) {
    const type = ts.required('ResourceType');
    if (!TAGGABLE.has(type)) throw new ApiError('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
    spec.tags[type] = { ...spec.tags[type], ...parseTags(ts) };
  }
  for (const sg of spec.securityGroupIds) if (!/^sg-[0-9a-f]{8,17}$/.test(sg)) throw new ApiError('InvalidGroupId.Malformed', `Invalid id: "${sg}" (expecting "sg-...")`);
  if (spec.userData !== undefined && !/^[A-Za-z0-9+/=\s]*$/.test(spec.userData)) throw new ApiError('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
  return spec;
}

/** A template's data under the request's own fields: the request wins field by field, tags merge. */
export function mergeSpecs(template: LaunchSpec, request: LaunchSpec): LaunchSpec {
  const tags: Record<string, TagMap> = { ...template.tags };
  for (const [type, t] of Object.entries(request.tags)) tags[type] = { ...tags[type], ...t };
  const merged: LaunchSpec = { ...template, ...stripEmpty(request), tags };
  if (!request.securityGroupIds.length) merged.securityGroupIds = template.securityGroupIds;
  return merged;
}

function stripEmpty(s: LaunchSpec): Partial<LaunchSpec> {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as Partial<LaunchSpec>;
}
