/** One MIDI object in a source, with what tells whether it changed since the last ingest. */
export interface SourceFile {
  /** Stable name of the object (`file:///abs/path.mid`, `s3://bucket/key.mid`): the song id derives from it. */
  uri: string;
  /** The file name, for the song title fallback and for error lines. */
  name: string;
  /** The object's version: the S3 ETag, or mtime and size of a local file. */
  tag: string;
  size: number;
}

/** Where MIDI files come from: a local folder or an S3 prefix. */
export interface MidiSource {
  /** For messages: the folder or s3:// URL as given. */
  readonly description: string;
  /** Every .mid/.midi file, in a stable order. */
  list(): AsyncIterable<SourceFile>;
  read(file: SourceFile): Promise<Uint8Array>;
}

export const isMidiName = (name: string) => /\.midi?$/i.test(name);
