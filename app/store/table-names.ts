// Table names on their own, so flag parsing can know them without loading the AWS SDK.
export const DEFAULT_TABLE_PREFIX = 'shoal-';

/** The API's resources, one table each. */
export interface ResourceTableNames {
  users: string;
  music: string;
  playlists: string;
}

/** Every table the app uses: the resources plus the Idempotency-Key answers. */
export interface TableNames extends ResourceTableNames {
  idempotency: string;
}

export function tableNames(prefix = DEFAULT_TABLE_PREFIX): TableNames {
  return { users: `${prefix}users`, music: `${prefix}music`, playlists: `${prefix}playlists`, idempotency: `${prefix}idempotency` };
}
