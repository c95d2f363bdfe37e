import { opendir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { isMidiName, type MidiSource, type SourceFile } from './source.js';

/** A folder, walked recursively; a file's tag is its mtime and size. */
export class LocalSource implements MidiSource {
  readonly description: string;
  private readonly root: string;

  constructor(folder: string) {
    this.root = resolve(folder);
    this.description = folder;
  }

  async *list(): AsyncIterable<SourceFile> {
    yield* this.walk(this.root);
  }

  private async *walk(dir: string): AsyncGenerator<SourceFile> {
    const entries: { name: string; dir: boolean }[] = [];
    for await (const e of await opendir(dir)) entries.push({ name: e.name, dir: e.isDirectory() });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.dir) yield* this.walk(path);
      else if (isMidiName(e.name)) {
        const st = await stat(path);
        yield { uri: pathToFileURL(path).href, name: e.name, tag: `${Math.trunc(st.mtimeMs)}:${st.size}`, size: st.size };
      }
    }
  }

  async read(file: SourceFile): Promise<Uint8Array> {
    return readFile(fileURLToPath(file.uri));
  }
}
