import t from 'tap';
import { CorruptMidiError, nameParts, readMidi } from '../../ingest/midi/read.js';
import { midiBytes } from '../helpers/midi.js';

t.test('instruments are the programs that played, channel 10 is the drum kit', async (t) => {
  const bytes = midiBytes([{ channel: 0, program: 0 }, { channel: 1, program: 33 }, { channel: 2, program: 40 }, { channel: 9, program: 5 }]);
  t.same(readMidi(bytes, 'x.mid').instruments, ['Acoustic Grand Piano', 'Electric Bass (finger)', 'Violin', 'Drum Kit']);
});

t.test('a channel with no program change plays program 0; a program with no note is not an instrument', async (t) => {
  const bytes = midiBytes([{ channel: 3 }]);
  t.same(readMidi(bytes, 'x.mid').instruments, ['Acoustic Grand Piano']);
  const silent = readMidi(midiBytes([]), 'x.mid');
  t.same(silent.instruments, []);
});

t.test('title and artist from meta events, else from the file name', async (t) => {
  t.match(readMidi(midiBytes([{ channel: 0, program: 24 }], { title: 'Blue Rondo', text: 'Composer: Dave Brubeck' }), 'a.mid'), { title: 'Blue Rondo', artist: 'Dave Brubeck' });
  t.match(readMidi(midiBytes([{ channel: 0 }]), 'dir/Miles Davis - So What.midi'), { title: 'So What', artist: 'Miles Davis' });
  t.match(readMidi(midiBytes([{ channel: 0 }]), 'untitled_tune.MID'), { title: 'untitled tune', artist: 'Unknown artist' });
  t.same(nameParts('A - B - C.mid'), { artist: 'A', title: 'B - C' });
});

t.test('a file that is not MIDI is a CorruptMidiError', async (t) => {
  t.throws(() => readMidi(new TextEncoder().encode('not midi at all'), 'bad.mid'), CorruptMidiError);
  const truncated = midiBytes([{ channel: 0, program: 1 }]).subarray(0, 30);
  t.throws(() => readMidi(truncated, 'cut.mid'), CorruptMidiError);
});
