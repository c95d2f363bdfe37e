import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MusicStore } from './music.js';
import { PlaylistStore } from './playlists.js';
import { SimilarStore } from './similar.js';
import { probeTables, type TableNames } from './tables.js';
import { UserStore } from './users.js';

export { createTables, tableNames, DEFAULT_TABLE_PREFIX, type TableNames } from './tables.js';

/** The app's tables behind one object, plus the readiness probe. */
export class Stores {
  readonly users: UserStore;
  readonly music: MusicStore;
  readonly playlists: PlaylistStore;
  readonly similar: SimilarStore;

  constructor(
    private readonly db: { doc: DynamoDBDocumentClient; client: DynamoDBClient; target: string },
    private readonly names: TableNames,
  ) {
    const ctx = { doc: db.doc, target: db.target };
    this.users = new UserStore(ctx, names.users);
    this.music = new MusicStore(ctx, names.music);
    this.playlists = new PlaylistStore(ctx, names.playlists);
    this.similar = new SimilarStore(ctx, names.similar);
  }

  probe(): Promise<void> {
    return probeTables(this.db.client, this.names, this.db.target);
  }
}
