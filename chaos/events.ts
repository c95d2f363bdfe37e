import type { Fleet } from '../fleet/index.js';
import { OnceLog, type Logger } from '../lib/log.js';

/** Every step of a chaos run, on the capped stream the dashboard's "Chaos events" pane shows. */
export class ChaosEvents {
  private readonly once: OnceLog;

  constructor(
    private readonly fleet: Fleet,
    private readonly experiment: string,
    log: Logger,
  ) {
    this.once = new OnceLog(log);
  }

  /** Never throws: a Redis that is down (the experiment may have killed it) loses the event, not the run. */
  async emit(event: string, activity = '', detail = ''): Promise<void> {
    try {
      await this.fleet.chaosEvents.append({ event, experiment: this.experiment, activity, detail });
      this.once.clear('events', 'chaos: events reach Redis again');
    } catch (err) {
      this.once.warn('events', { err: (err as Error).message, event }, 'chaos: cannot write events to Redis');
    }
  }
}
