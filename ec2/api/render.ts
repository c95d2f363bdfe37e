import { STATE_CODES, type Instance, type InstanceStateName } from '../instance.js';
import { ACCOUNT_ID, type Network } from '../network.js';
import type { LaunchTemplate } from '../launch-template.js';
import type { XmlValue } from '../xml.js';

/** EC2's XML shapes (element names as botocore's service model spells them). */

export function tagSet(tags: Record<string, string>): XmlValue[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function stateXml(s: InstanceStateName): XmlValue {
  return { code: STATE_CODES[s], name: s };
}

function privateDns(i: Instance, region: string): string {
  return `ip-${i.privateIp.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;
}

export function instanceXml(i: Instance, net: Network): XmlValue {
  const live = i.state !== 'terminated';
  const groups = i.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId === 'sg-00000000000000001' ? 'default' : groupId }));
  const zoneId = net.zones.find((z) => z.name === i.zone)?.id;
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: live ? privateDns(i, net.region) : '',
    dnsName: '',
    reason: i.transitionReason,
    keyName: i.keyName,
    amiLaunchIndex: i.amiLaunchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    instanceLifecycle: i.lifecycle,
    spotInstanceRequestId: i.lifecycle ? `sir-${i.instanceId.slice(2, 10)}` : undefined,
    launchTime: new Date(i.launchTime),
    placement: { availabilityZoneId: zoneId, availabilityZone: i.zone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: live ? i.subnetId : undefined,
    vpcId: live ? i.vpcId : undefined,
    privateIpAddress: live ? i.privateIp : undefined,
    sourceDestCheck: true,
    groupSet: live ? groups : [],
    stateReason: i.stateReason ? { ...i.stateReason } : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: live ? [{ deviceName: '/dev/xvda', ebs: { volumeId: i.volumeId, status: 'attached', attachTime: new Date(i.launchTime), deleteOnTermination: true } }] : [],
    virtualizationType: 'hvm',
    clientToken: i.clientToken ?? '',
    tagSet: tagSet(i.tags),
    hypervisor: 'xen',
    networkInterfaceSet: live
      ? [
          {
            networkInterfaceId: `eni-${i.instanceId.slice(2)}`,
            subnetId: i.subnetId,
            vpcId: i.vpcId,
            description: '',
            ownerId: ACCOUNT_ID,
            status: 'in-use',
            privateIpAddress: i.privateIp,
            privateDnsName: privateDns(i, net.region),
            sourceDestCheck: true,
            groupSet: groups,
            attachment: { attachmentId: `eni-attach-${i.instanceId.slice(2)}`, deviceIndex: 0, status: 'attached', attachTime: new Date(i.launchTime), deleteOnTermination: true },
            privateIpAddressesSet: [{ privateIpAddress: i.privateIp, privateDnsName: privateDns(i, net.region), primary: true }],
            interfaceType: 'interface',
          },
        ]
      : [],
    iamInstanceProfile: i.iamInstanceProfileArn ? { arn: i.iamInstanceProfileArn, id: `AIPA${i.instanceId.slice(2, 19).toUpperCase()}` } : undefined,
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: { state: 'applied', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled' },
    bootMode: 'uefi-preferred',
    platformDetails: 'Linux/UNIX',
  };
}

/** Instances grouped into their reservations, keeping the order they came in. */
export function reservationsXml(instances: readonly Instance[], net: Network): XmlValue[] {
  const byRes = new Map<string, Instance[]>();
  for (const i of instances) {
    const list = byRes.get(i.reservationId) ?? [];
    list.push(i);
    byRes.set(i.reservationId, list);
  }
  return [...byRes].map(([reservationId, list]) => ({ reservationId, ownerId: ACCOUNT_ID, groupSet: [], instancesSet: list.map((i) => instanceXml(i, net)) }));
}

export function launchTemplateXml(t: LaunchTemplate): XmlValue {
  return {
    launchTemplateId: t.id,
    launchTemplateName: t.name,
    createTime: new Date(t.createdAt),
    createdBy: `arn:aws:iam::${ACCOUNT_ID}:root`,
    defaultVersionNumber: t.defaultVersion,
    latestVersionNumber: t.versions.length,
    tagSet: tagSet(t.tags),
  };
}
