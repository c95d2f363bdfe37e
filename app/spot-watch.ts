import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import type { Logger } from '../lib/log.js';

export type SpotNotice = { kind: 'interruption'; detail: string } | { kind: 'rebalance'; detail: string };

/**
 * Polls the instance metadata service (IMDSv2) for a Spot interruption notice
 * (`spot/instance-action`) or a rebalance recommendation, both 404 until issued, as AWS
 * recommends (every few seconds: a notice gives two minutes). The first one seen is
 * reported once; the app then drains itself.
 */
export class SpotWatch {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private noticed = false;
  private readonly imds = new MetadataService({ httpOptions: { timeout: 1000 }, retries: 0, ec2MetadataV1Disabled: true });

  constructor(private readonly o: { intervalMs: number; log: Logger; onNotice: (n: SpotNotice) => void }) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    if (this.busy || this.noticed) return;
    this.busy = true;
    try {
      const action = await this.read('spot/instance-action');
      const rebalance = action === undefined ? await this.read('events/recommendations/rebalance') : undefined;
      const notice: SpotNotice | undefined = action !== undefined ? { kind: 'interruption', detail: action } : rebalance !== undefined ? { kind: 'rebalance', detail: rebalance } : undefined;
      if (notice) {
        this.noticed = true;
        this.stop();
        this.o.onNotice(notice);
      }
    } finally {
      this.busy = false;
    }
  }

  /** The value at `path`, or undefined while there is none (404) or IMDS cannot be read (logged at debug). */
  private async read(path: string): Promise<string | undefined> {
    try {
      return (await this.imds.request(`latest/meta-data/${path}`, {})).trim();
    } catch (err) {
      this.o.log.debug({ path, err: (err as Error).message }, 'no spot notice');
      return undefined;
    }
  }
}
