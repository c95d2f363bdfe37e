import type { Dynamo } from '../dynamodb/client.js';
import type { TableNames } from '../store/tables.js';
import { seed, type SeedReport } from './load.js';
import { sampleFiles } from './samples.js';

export { seed, type SeedFiles, type SeedOptions, type SeedReport } from './load.js';
export { sampleFiles } from './samples.js';
export { uuidV5 } from './ids.js';

/** Loads the shipped sample data (for `shoal up`'s first run); idempotent. */
export function seedSamples(db: Pick<Dynamo, 'doc' | 'client' | 'target'>, names: TableNames, onBadRow: (file: string, line: number, message: string) => void = () => {}): Promise<SeedReport[]> {
  return seed({ doc: db.doc, client: db.client, target: db.target, names, files: sampleFiles(), onBadRow });
}
