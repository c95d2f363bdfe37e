// A worker thread that parses MIDI files: parsing is CPU work, so `--concurrency` of these
// keep every core busy while the main thread lists, reads and writes.
import { parentPort } from 'node:worker_threads';
import { CorruptMidiError, readMidi } from './read.js';

export interface ParseTask {
  seq: number;
  bytes: Uint8Array;
  name: string;
}

export type ParseResult = { seq: number; song: ReturnType<typeof readMidi> } | { seq: number; corrupt: string };

parentPort?.on('message', (task: ParseTask) => {
  let result: ParseResult;
  try {
    result = { seq: task.seq, song: readMidi(task.bytes, task.name) };
  } catch (err) {
    result = { seq: task.seq, corrupt: err instanceof CorruptMidiError ? err.message : `unreadable: ${(err as Error).message}` };
  }
  parentPort!.postMessage(result);
});
