/**
 * The simulated region's layout: one VPC, one subnet per Availability Zone. Ids are fixed
 * (the zone letter ends each id), so a test or an operator can name them before the
 * endpoint starts.
 */
export interface Zone {
  name: string;
  id: string;
}

export interface Subnet {
  subnetId: string;
  zone: Zone;
  cidr: string;
  vpcId: string;
}

export interface Network {
  region: string;
  vpcId: string;
  vpcCidr: string;
  zones: Zone[];
  subnets: Subnet[];
}

export const ACCOUNT_ID = '123456789012';
export const MAX_ZONES = 6;

/** "us-east-1" → "use1": the prefix AWS zone ids carry. */
function regionShort(region: string): string {
  const m = /^([a-z]{2})-([a-z]+)-(\d+)$/.exec(region);
  if (!m) return region.replace(/[^a-z0-9]/g, '').slice(0, 6);
  const dir = m[2]!.replace('north', 'n').replace('south', 's').replace('east', 'e').replace('west', 'w').replace('central', 'c');
  return `${m[1]}${dir.slice(0, 2)}${m[3]}`;
}

/** `zones` zones `<region>a`, `<region>b`, …, each with a /20 subnet of 10.0.0.0/16. */
export function defaultNetwork(region: string, zones = 3): Network {
  const vpcId = 'vpc-00000000000000001';
  const list: Zone[] = [];
  const subnets: Subnet[] = [];
  for (let i = 0; i < zones; i++) {
    const letter = String.fromCharCode(97 + i);
    const zone = { name: `${region}${letter}`, id: `${regionShort(region)}-az${i + 1}` };
    list.push(zone);
    subnets.push({ subnetId: `subnet-0000000000000000${letter}`, zone, cidr: `10.0.${i * 16}.0/20`, vpcId });
  }
  return { region, vpcId, vpcCidr: '10.0.0.0/16', zones: list, subnets };
}
