import { createHash } from 'node:crypto';
import type { Cloud } from '../cloud.js';
import { ApiError } from '../errors.js';
import { matcher, instanceMatcher, type Filter } from '../filters.js';
import { resourceId } from '../ids.js';
import { mergeSpecs, parseLaunchSpec, parseTags } from '../launch-spec.js';
import { findTemplate, resolveVersion } from '../launch-template.js';
import type { Subnet, Zone } from '../network.js';
import type { QueryParams } from '../query.js';
import { children, element, escapeXml, XML_DECLARATION } from '../xml.js';
import { instanceXml, launchTemplateXml, reservationsXml, stateXml } from './render.js';
import type { Action, QueryService } from './service.js';
import { byTime, page } from './paging.js';

export const EC2_VERSION = '2016-11-15';
const XMLNS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;

function filters(q: QueryParams): Filter[] {
  return q.structs('Filter').map((f) => ({ name: f.required('Name'), values: f.list('Value') }));
}

/** A DryRun call stops here with the error AWS uses to say "you could have". */
function dryRun(q: QueryParams): void {
  if (q.bool('DryRun')) throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

function runInstances(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const minCount = q.int('MinCount');
    const maxCount = q.int('MaxCount');
    if (minCount === undefined) throw ApiError.missing('MinCount');
    if (maxCount === undefined) throw ApiError.missing('MaxCount');
    if (minCount < 1) throw ApiError.invalidValue('MinCount', String(minCount), 'MinCount must be at least 1');
    if (maxCount < minCount) throw ApiError.invalidValue('MaxCount', String(maxCount), 'MaxCount must be at least MinCount');
    let spec = parseLaunchSpec(q);
    let launchTemplate: { id: string; version: number } | undefined;
    const lt = q.struct('LaunchTemplate');
    if (lt) {
      const t = findTemplate(cloud.store.launchTemplates.values(), { id: lt.str('LaunchTemplateId'), name: lt.str('LaunchTemplateName') });
      const v = resolveVersion(t, lt.str('Version'));
      spec = mergeSpecs(v.spec, spec);
      launchTemplate = { id: t.id, version: v.number };
    }
    const clientToken = q.str('ClientToken');
    if (clientToken !== undefined && clientToken.length > 64) throw ApiError.invalidValue('ClientToken', clientToken, 'Client tokens are at most 64 characters');
    const fingerprint = createHash('sha256')
      .update(JSON.stringify(q.entries().filter(([k]) => k !== 'Action' && k !== 'Version')))
      .digest('hex');
    const instances = cloud.launch({ spec, minCount, maxCount, clientToken, fingerprint, launchTemplate });
    return {
      reservationId: instances[0]!.reservationId,
      ownerId: '123456789012',
      groupSet: [],
      instancesSet: instances.map((i) => instanceXml(i, cloud.network)),
    };
  };
}

function describeInstances(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const ids = q.list('InstanceId');
    const maxResults = q.int('MaxResults');
    if (ids.length && maxResults !== undefined) throw ApiError.invalidCombination('The parameter instancesSet cannot be used with the parameter maxResults');
    if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) throw ApiError.invalidValue('MaxResults', String(maxResults), 'MaxResults must be between 5 and 1000');
    let all = cloud.instances();
    if (ids.length) {
      for (const id of ids) if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw ApiError.malformedInstanceId(id);
      const missing = ids.filter((id) => !cloud.get(id));
      if (missing.length) throw ApiError.instanceNotFound(missing);
      const wanted = new Set(ids);
      all = all.filter((i) => wanted.has(i.instanceId));
    }
    const match = instanceMatcher(filters(q));
    const { items, nextToken } = page(all.filter(match), (i) => byTime(i.launchTime, i.instanceId), maxResults, q.str('NextToken'));
    return { reservationSet: reservationsXml(items, cloud.network), nextToken };
  };
}

function terminateInstances(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const ids = q.list('InstanceId');
    if (!ids.length) throw ApiError.missing('InstanceId');
    for (const id of ids) if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw ApiError.malformedInstanceId(id);
    const changes = cloud.terminate(ids);
    return { instancesSet: changes.map((c) => ({ instanceId: c.instanceId, currentState: stateXml(c.current), previousState: stateXml(c.previous) })) };
  };
}

function createTags(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const resources = q.list('ResourceId');
    if (!resources.length) throw ApiError.missing('ResourceId');
    const tags = parseTags(q);
    if (!Object.keys(tags).length) throw ApiError.missing('Tag');
    cloud.tag(resources, tags);
    return { return: true };
  };
}

const SUBNET_FIELDS: Record<string, (s: Subnet) => string[]> = {
  'subnet-id': (s) => [s.subnetId],
  'availability-zone': (s) => [s.zone.name],
  'availability-zone-id': (s) => [s.zone.id],
  'vpc-id': (s) => [s.vpcId],
  'cidr-block': (s) => [s.cidr],
  state: () => ['available'],
};

function describeSubnets(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const ids = q.list('SubnetId');
    for (const id of ids) cloud.subnet(id);
    const match = matcher(filters(q), SUBNET_FIELDS);
    const subnets = cloud.network.subnets.filter((s) => (!ids.length || ids.includes(s.subnetId)) && match(s));
    const maxResults = q.int('MaxResults');
    if (maxResults !== undefined && (maxResults < 5 || maxResults > 1000)) throw ApiError.invalidValue('MaxResults', String(maxResults), 'MaxResults must be between 5 and 1000');
    const { items, nextToken } = page(subnets, (s) => String(cloud.network.subnets.indexOf(s)).padStart(6, '0'), maxResults, q.str('NextToken'));
    return {
      subnetSet: items.map((s) => ({
        subnetId: s.subnetId,
        subnetArn: `arn:aws:ec2:${cloud.network.region}:123456789012:subnet/${s.subnetId}`,
        state: 'available',
        ownerId: '123456789012',
        vpcId: s.vpcId,
        cidrBlock: s.cidr,
        ipv6CidrBlockAssociationSet: [],
        availableIpAddressCount: 4091 - cloud.instances().filter((i) => i.subnetId === s.subnetId && i.state !== 'terminated').length,
        availabilityZone: s.zone.name,
        availabilityZoneId: s.zone.id,
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        assignIpv6AddressOnCreation: false,
        tagSet: [],
      })),
      nextToken,
    };
  };
}

const ZONE_FIELDS: Record<string, (z: Zone) => string[]> = {
  'zone-name': (z) => [z.name],
  'zone-id': (z) => [z.id],
  state: () => ['available'],
  'region-name': () => [],
  'zone-type': () => ['availability-zone'],
};

function describeAvailabilityZones(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const names = q.list('ZoneName');
    const zoneIds = q.list('ZoneId');
    const region = cloud.network.region;
    const match = matcher(filters(q), { ...ZONE_FIELDS, 'region-name': () => [region] });
    for (const n of names) if (!cloud.network.zones.some((z) => z.name === n)) throw ApiError.invalidValue('ZoneName', n, 'No such Availability Zone');
    const zones = cloud.network.zones.filter((z) => (!names.length || names.includes(z.name)) && (!zoneIds.length || zoneIds.includes(z.id)) && match(z));
    return {
      availabilityZoneInfo: zones.map((z) => ({
        optInStatus: 'opt-in-not-required',
        messageSet: [],
        regionName: region,
        zoneName: z.name,
        zoneId: z.id,
        groupName: region,
        networkBorderGroup: region,
        zoneType: 'availability-zone',
        zoneState: 'available',
      })),
    };
  };
}

function createLaunchTemplate(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const name = q.required('LaunchTemplateName');
    if (!/^[a-zA-Z0-9().\-/_]{3,128}$/.test(name)) throw ApiError.invalidValue('LaunchTemplateName', name, 'A name has 3-128 letters, digits or ().-/_');
    for (const t of cloud.store.launchTemplates.values()) {
      if (t.name === name) throw new ApiError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
    }
    const data = q.struct('LaunchTemplateData');
    if (!data) throw ApiError.missing('LaunchTemplateData');
    const tags: Record<string, string> = {};
    for (const ts of q.structs('TagSpecification')) if (ts.str('ResourceType') === 'launch-template') Object.assign(tags, parseTags(ts));
    const t = { id: resourceId('lt'), name, createdAt: Date.now(), defaultVersion: 1, versions: [parseLaunchSpec(data)], tags };
    cloud.store.launchTemplates.set(t.id, t);
    cloud.store.changed();
    return { launchTemplate: launchTemplateXml(t) };
  };
}

function describeLaunchTemplates(cloud: Cloud): Action {
  return (q) => {
    dryRun(q);
    const ids = q.list('LaunchTemplateId');
    const names = q.list('LaunchTemplateName');
    for (const id of ids) findTemplate(cloud.store.launchTemplates.values(), { id });
    for (const name of names) findTemplate(cloud.store.launchTemplates.values(), { name });
    const all = [...cloud.store.launchTemplates.values()].filter((t) => (!ids.length && !names.length) || ids.includes(t.id) || names.includes(t.name));
    return { launchTemplates: all.map(launchTemplateXml) };
  };
}

/** The EC2 Query API (Version 2016-11-15) over one simulated region. */
export function ec2Service(cloud: Cloud): QueryService {
  const actions = new Map<string, Action>([
    ['RunInstances', runInstances(cloud)],
    ['DescribeInstances', describeInstances(cloud)],
    ['TerminateInstances', terminateInstances(cloud)],
    ['CreateTags', createTags(cloud)],
    ['DescribeSubnets', describeSubnets(cloud)],
    ['DescribeAvailabilityZones', describeAvailabilityZones(cloud)],
    ['CreateLaunchTemplate', createLaunchTemplate(cloud)],
    ['DescribeLaunchTemplates', describeLaunchTemplates(cloud)],
  ]);
  return {
    name: 'ec2',
    version: EC2_VERSION,
    actions,
    render(action, requestId, result) {
      return `${XML_DECLARATION}<${action}Response xmlns="${XMLNS}">${element('requestId', requestId)}${children(result)}</${action}Response>`;
    },
    renderError(err, requestId) {
      return `${XML_DECLARATION}<Response><Errors><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(err.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
    },
  };
}
