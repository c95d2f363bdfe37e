import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyStore } from './idempotency.js';
import { CredentialStore } from './credentials.js';
import { MusicStore } from './music.js';
import { PlaylistStore } from './playlists.js';
import { SimilarStore } from './similar.js';
import type { RequestScope } from './request-scope.js';
import { probeTables, type TableNames } from './tables.js';
import { UserStore } from './users.js';

export { createTables, tableNames, DEFAULT_TABLE_PREFIX, type TableNames } from './tables.js';

/** The app's tables behind one object, plus the readiness probe. */
export class Stores {
  readonly users: UserStore;
  readonly music: MusicStore;
  readonly playlists: PlaylistStore;
  readonly credentials: CredentialStore;
  readonly similar: SimilarStore;
  readonly idempotency: IdempotencyStore;

  constructor(
    private readonly db: { doc: DynamoDBDocumentClient; client: DynamoDBClient; target: string },
    private readonly names: TableNames,
    idempotencyLeaseMs = 10_000,
  ) {
    const ctx = { doc: db.doc, client: db.client, target: db.target };
    this.users = new UserStore(ctx, names.users);
    this.music = new MusicStore(ctx, names.music);
    this.playlists = new PlaylistStore(ctx, names.playlists);
    this.credentials = new CredentialStore(ctx, names.credentials);
    this.similar = new SimilarStore(ctx, names.similar);
    this.idempotency = new IdempotencyStore(ctx, names.idempotency, idempotencyLeaseMs);
  }

  /** The tables as one request sees them: its DynamoDB calls traced under its span, its new ids from its seed. */
  within(scope: RequestScope): Stores {
    return Object.assign(Object.create(this) as Stores, {
      users: this.users.within(scope),
      music: this.music.within(scope),
      playlists: this.playlists.within(scope),
      credentials: this.credentials.within(scope),
      similar: this.similar.within(scope),
      idempotency: this.idempotency.within(scope),
    });
  }

  probe(): Promise<void> {
    return probeTables(this.db.client, this.names, this.db.target);
  }
}
