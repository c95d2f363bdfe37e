import { Worker } from 'node:worker_threads';
import type { ParseResult, ParseTask } from './parse-worker.js';
import { CorruptMidiError, readMidi, type MidiSong } from './read.js';

export type Parsed = { song: MidiSong } | { corrupt: string };

/**
 * Parses MIDI files on `size` worker threads, or in this thread when size is 0 (small runs,
 * and tests that load TypeScript sources directly).
 */
export class ParserPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: { task: ParseTask; done: (p: Parsed) => void }[] = [];
  private readonly pending = new Map<number, (p: Parsed) => void>();
  private readonly running = new Map<Worker, number>();
  private seq = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./parse-worker.js', import.meta.url));
    w.on('message', (r: ParseResult) => this.finished(w, r));
    // A worker that dies (out of memory on a huge file) fails its task and is replaced.
    w.on('error', (err) => this.crashed(w, err));
    this.workers.push(w);
    return w;
  }

  parse(bytes: Uint8Array, name: string): Promise<Parsed> {
    if (this.workers.length === 0) return Promise.resolve(parseHere(bytes, name));
    return new Promise((done) => {
      const task = { seq: this.seq++, bytes, name };
      const w = this.idle.pop();
      if (w) this.send(w, task, done);
      else this.waiting.push({ task, done });
    });
  }

  private send(w: Worker, task: ParseTask, done: (p: Parsed) => void): void {
    this.pending.set(task.seq, done);
    this.running.set(w, task.seq);
    // The bytes move to the worker instead of being copied.
    const buffer = task.bytes.buffer;
    w.postMessage(task, buffer instanceof ArrayBuffer && task.bytes.byteLength === buffer.byteLength ? [buffer] : []);
  }

  private finished(w: Worker, r: ParseResult): void {
    const done = this.pending.get(r.seq);
    this.pending.delete(r.seq);
    this.running.delete(w);
    done?.('song' in r ? { song: r.song } : { corrupt: r.corrupt });
    const next = this.waiting.shift();
    if (next) this.send(w, next.task, next.done);
    else this.idle.push(w);
  }

  private crashed(w: Worker, err: Error): void {
    const seq = this.running.get(w);
    this.running.delete(w);
    this.workers.splice(this.workers.indexOf(w), 1);
    if (seq !== undefined) {
      this.pending.get(seq)?.({ corrupt: `parser crashed: ${err.message}` });
      this.pending.delete(seq);
    }
    const fresh = this.spawn();
    const next = this.waiting.shift();
    if (next) this.send(fresh, next.task, next.done);
    else this.idle.push(fresh);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function parseHere(bytes: Uint8Array, name: string): Parsed {
  try {
    return { song: readMidi(bytes, name) };
  } catch (err) {
    return { corrupt: err instanceof CorruptMidiError ? err.message : `unreadable: ${(err as Error).message}` };
  }
}
