// Table names on their own, so flag parsing can know them without loading the AWS SDK.
export const DEFAULT_TABLE_PREFIX = 'shoal-';

export interface TableNames {
  users: string;
  music: string;
  playlists: string;
  /** Precomputed similar songs per song (`shoal ingest similar`). */
  similar: string;
}

export function tableNames(prefix = DEFAULT_TABLE_PREFIX): TableNames {
  return { users: `${prefix}users`, music: `${prefix}music`, playlists: `${prefix}playlists`, similar: `${prefix}similar` };
}
