import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../lib/log.js';
import { autoScalingService } from './api/autoscaling-service.js';
import { ec2Service } from './api/ec2-service.js';
import { AutoScaling } from './asg/autoscaling.js';
import { Cloud } from './cloud.js';
import { ec2EndpointConfig, type Ec2EndpointConfigInput } from './config.js';
import { startEndpoint } from './endpoint.js';
import { Faults } from './faults.js';
import { defaultNetwork, type Network } from './network.js';

/** dist/cli/shoal.js next to this file's compiled twin: what embedded user data execs. */
const SHOAL_CLI = fileURLToPath(new URL('../cli/shoal.js', import.meta.url));

export interface Ec2Endpoint {
  /** `http://127.0.0.1:PORT`: pass it as the SDK's `endpoint` or the CLI's `--endpoint-url`. */
  url: string;
  port: number;
  region: string;
  network: Network;
  faults: Faults;
  cloud: Cloud;
  /** The Auto Scaling groups (Version 2011-01-01 on the same port). */
  autoScaling: AutoScaling;
  /** Stops taking calls, terminates every instance and waits for their processes. */
  close(): Promise<void>;
}

/** Starts the embedded EC2 endpoint: the API server (EC2 and Auto Scaling), the simulated region and its instances. */
export async function startEc2Endpoint(input: Ec2EndpointConfigInput, deps: { log?: Logger } = {}): Promise<Ec2Endpoint> {
  const config = ec2EndpointConfig.parse(input);
  const log = deps.log ?? createLogger('ec2');
  const network = defaultNetwork(config.region, config.zones);
  const faults = new Faults(config.faults);
  const cloud = new Cloud({
    network,
    dataDir: resolve(config.dataDir),
    faults,
    log,
    terminatedTtlMs: config.terminatedTtlMs,
    killTimeoutMs: config.killTimeoutMs,
    bareInstances: config.bareInstances,
    process: { node: process.execPath, cli: config.shoalCli ?? SHOAL_CLI, env: config.instanceEnv },
  });
  cloud.start();
  const autoScaling = new AutoScaling(cloud, { tickMs: config.asgTickMs, log });
  autoScaling.start();
  const services = [ec2Service(cloud), autoScalingService(autoScaling, cloud)];
  const server = await startEndpoint({ host: config.host, port: config.port, cloud, faults, services, log }).catch(async (err: unknown) => {
    autoScaling.stop();
    await cloud.close();
    throw err;
  });
  log.info({ url: server.url, region: network.region, zones: network.zones.map((z) => z.name) }, 'EC2 endpoint serving');
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    region: network.region,
    network,
    faults,
    cloud,
    autoScaling,
    close: () => {
      autoScaling.stop();
      return (closing ??= server.close().then(() => cloud.close()));
    },
  };
}
