import { parseMidi, type MidiEvent } from 'midi-file';
import { GM_PROGRAMS, PERCUSSION, PERCUSSION_CHANNEL } from './gm-instruments.js';

export interface MidiSong {
  title: string;
  artist: string;
  /** General MIDI names of every program that played a note, in first-heard order. */
  instruments: string[];
}

/** A file that is not a readable Standard MIDI File. */
export class CorruptMidiError extends Error {
  override readonly name = 'CorruptMidiError';
}

/**
 * Reads a Standard MIDI File: the instruments are the programs in force on each channel
 * when a note starts there (program 0 until a change, as GM says), channel 10 is the drum
 * kit. Title and artist come from meta events, else from a "Artist - Title" file name.
 */
export function readMidi(bytes: Uint8Array, fileName: string): MidiSong {
  const flaw = structuralFlaw(bytes);
  if (flaw) throw new CorruptMidiError(`not a MIDI file: ${flaw}`);
  let tracks: MidiEvent[][];
  try {
    tracks = parseMidi(bytes).tracks;
  } catch (err) {
    // midi-file throws strings as well as Errors.
    throw new CorruptMidiError(`not a MIDI file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const instruments = new Set<string>();
  // Channel state is global across tracks in a format 1 file, so track order matters only
  // within a track; reading tracks in turn is how the programs were meant.
  const program = new Array<number>(16).fill(0);
  let metaTitle: string | undefined;
  let metaArtist: string | undefined;
  tracks.forEach((events, t) => {
    for (const e of events) {
      if (e.type === 'programChange') program[e.channel] = e.programNumber;
      else if (e.type === 'noteOn' && e.velocity > 0) instruments.add(e.channel === PERCUSSION_CHANNEL ? PERCUSSION : GM_PROGRAMS[program[e.channel]!]!);
      else if (e.type === 'trackName' && t === 0 && !metaTitle) metaTitle = clean(e.text);
      else if ((e.type === 'text' || e.type === 'copyrightNotice') && !metaArtist) metaArtist = artistFrom(e.text);
    }
  });
  const fromName = nameParts(fileName);
  return { title: metaTitle || fromName.title, artist: metaArtist || fromName.artist || 'Unknown artist', instruments: [...instruments] };
}

/**
 * The chunk layout, checked before parsing: midi-file reads a truncated file without
 * complaint (it stops at the end of the bytes), so a cut-off download would pass as a song.
 */
function structuralFlaw(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 14 || id(0) !== 'MThd' || view.getUint32(4) !== 6) return 'no MThd header';
  if (view.getUint16(8) > 2) return `unknown format ${view.getUint16(8)}`;
  const promised = view.getUint16(10);
  let tracks = 0;
  for (let at = 14; at < bytes.length; ) {
    if (at + 8 > bytes.length) return `a chunk header is cut off at byte ${at}`;
    const length = view.getUint32(at + 4);
    if (at + 8 + length > bytes.length) return `the chunk at byte ${at} runs past the end of the file`;
    if (id(at) === 'MTrk') tracks++;
    at += 8 + length;
  }
  return tracks < promised ? `the header promises ${promised} tracks, the file holds ${tracks}` : undefined;
}

/** "Artist - Title.mid" → both; "Title.mid" → the title alone. */
export function nameParts(fileName: string): { title: string; artist?: string } {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.midi?$/i, '');
  const dash = base.indexOf(' - ');
  if (dash > 0) return { artist: clean(base.slice(0, dash)), title: clean(base.slice(dash + 3)) || base };
  return { title: clean(base.replace(/[_]+/g, ' ')) || base };
}

function artistFrom(text: string): string | undefined {
  const m = /^\s*(?:artist|composer|composed by|by)\s*[:-]?\s*(.+)$/i.exec(text);
  return m ? clean(m[1]!) : undefined;
}

// Meta text is Latin-1 bytes read as chars; drop control characters and trim to the API's limit.
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
}
