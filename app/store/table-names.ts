// Table names on their own, so flag parsing can know them without loading the AWS SDK.
export const DEFAULT_TABLE_PREFIX = 'shoal-';

/** The three resource tables the API and the CSV loader serve. */
export type ResourceTable = 'users' | 'music' | 'playlists';

export interface TableNames extends Record<ResourceTable, string> {
  /** Login credentials, keyed by the lower-cased email (never served). */
  credentials: string;
}

export function tableNames(prefix = DEFAULT_TABLE_PREFIX): TableNames {
  return { users: `${prefix}users`, music: `${prefix}music`, playlists: `${prefix}playlists`, credentials: `${prefix}credentials` };
}
