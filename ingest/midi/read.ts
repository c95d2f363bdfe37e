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
  let tracks: MidiEvent[][];
  try {
    tracks = parseMidi(bytes).tracks;
  } catch (err) {
    throw new CorruptMidiError(`not a MIDI file: ${(err as Error).message}`);
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
