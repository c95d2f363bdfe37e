import { writeMidi, type MidiData, type MidiEvent } from 'midi-file';

export interface Part {
  channel: number;
  /** The program set before the notes; none leaves the channel on program 0. */
  program?: number;
}

/** A format 1 MIDI file written with midi-file: a conductor track with meta text, then one track per part. */
export function midiBytes(parts: Part[], meta: { title?: string; text?: string } = {}): Uint8Array {
  const conductor: MidiEvent[] = [];
  if (meta.title) conductor.push({ deltaTime: 0, meta: true, type: 'trackName', text: meta.title });
  if (meta.text) conductor.push({ deltaTime: 0, meta: true, type: 'text', text: meta.text });
  conductor.push({ deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 500000 });
  conductor.push({ deltaTime: 0, meta: true, type: 'endOfTrack' });
  const tracks = parts.map((p): MidiEvent[] => [
    ...(p.program === undefined ? [] : [{ deltaTime: 0, type: 'programChange' as const, channel: p.channel, programNumber: p.program }]),
    { deltaTime: 0, type: 'noteOn', channel: p.channel, noteNumber: 60, velocity: 90 },
    { deltaTime: 96, type: 'noteOff', channel: p.channel, noteNumber: 60, velocity: 0 },
    { deltaTime: 0, meta: true, type: 'endOfTrack' },
  ]);
  const data: MidiData = { header: { format: 1, numTracks: tracks.length + 1, ticksPerBeat: 96 }, tracks: [conductor, ...tracks] };
  return Uint8Array.from(writeMidi(data));
}
