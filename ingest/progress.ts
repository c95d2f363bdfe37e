// How a long ingest tells people where it is: a bar redrawn in place on a terminal, a plain
// line every few seconds in a log or a pipe.

export interface Progress {
  tick(done: number): void;
  end(): void;
}

const PLAIN_EVERY_MS = 5000;
const TTY_EVERY_MS = 200;

export function progress(stream: NodeJS.WriteStream, total: number, what: string, now = () => Date.now()): Progress {
  const started = now();
  let last = 0;
  let done = 0;
  const tty = Boolean(stream.isTTY);
  const line = () => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : undefined;
    return `${done}/${total} ${what} · ${rate.toFixed(1)}/s · ETA ${eta === undefined ? '?' : `${eta}s`}`;
  };
  return {
    tick(n) {
      done = n;
      const t = now();
      if (t - last < (tty ? TTY_EVERY_MS : PLAIN_EVERY_MS) && n < total) return;
      last = t;
      if (tty) stream.write(`\r\x1b[K${bar(done, total)} ${line()}`);
      else stream.write(`ingest: ${line()}\n`);
    },
    end() {
      if (tty) stream.write('\r\x1b[K');
    },
  };
}

function bar(done: number, total: number, width = 24): string {
  const full = total > 0 ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}
