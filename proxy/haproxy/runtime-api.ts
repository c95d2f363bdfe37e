import { connect } from 'node:net';
import { ShoalError } from '../../lib/errors.js';

// HAProxy's Runtime API over its unix socket, in non-interactive mode: one connection per
// command, the answer is everything HAProxy writes before it closes the connection.

/** Answers that mean the command took effect; everything else a state-changing command prints is an error. */
const OK_ANSWERS = new Set(['', 'New server registered.', 'Server deleted.']);

export class RuntimeApi {
  constructor(
    readonly socket: string,
    private readonly timeoutMs = 2000,
  ) {}

  /** Sends one command (a `<<` payload may follow on the next lines) and returns HAProxy's answer. */
  send(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = connect(this.socket);
      let out = '';
      const timer = setTimeout(() => c.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      c.setEncoding('utf8');
      c.on('data', (d: string) => (out += d));
      c.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ShoalError('SHOAL_ERR_HAPROXY_API', `haproxy runtime API (${this.socket}): ${err.code ?? err.message}`, 503, { cause: err }));
      });
      c.on('end', () => {
        clearTimeout(timer);
        resolve(out);
      });
      c.end(command.endsWith('\n') ? command : command + '\n');
    });
  }

  /** A command that changes state: throws with HAProxy's own words unless it says it worked. */
  async run(command: string): Promise<void> {
    const answer = (await this.send(command)).trim();
    if (!OK_ANSWERS.has(answer)) throw new ShoalError('SHOAL_ERR_HAPROXY_API', `haproxy refused "${command.split('\n')[0]}": ${answer.split('\n')[0]}`, 503);
  }
}
