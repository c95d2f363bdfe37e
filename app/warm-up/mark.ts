import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header the warm-up's requests carry. */
export const WARM_UP_HEADER = 'x-shoal-warm-up';

/**
 * Tells the warm-up's own requests from traffic, so the monitors leave them out. The value
 * is new per boot and dropped when the warm-up ends: a client that sends the header is
 * counted like any other.
 */
export class WarmUpMark {
  private token: string | undefined = randomUUID();

  /** The header value while the warm-up runs. */
  get value(): string | undefined {
    return this.token;
  }

  /** True for a request the warm-up sent, while it runs. */
  marks(req: IncomingMessage): boolean {
    return this.token !== undefined && req.headers[WARM_UP_HEADER] === this.token;
  }

  end(): void {
    this.token = undefined;
  }
}
