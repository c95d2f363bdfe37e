import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { conflict } from '../errors.js';
import { isConditionFailed } from './db-error.js';
import { Table, type TableContext } from './table.js';

/** A login: keyed by the lower-cased email, pointing at its user; `hash` is the scrypt string. */
export interface Credential {
  id: string;
  userId: string;
  hash: string;
  createdAt: string;
}

export const loginName = (email: string) => email.trim().toLowerCase();

export class CredentialStore extends Table<Credential> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  /** One login per email: a second sign-up with the same email is a 409. */
  async create(email: string, userId: string, hash: string, now = new Date().toISOString()): Promise<void> {
    const item: Credential = { id: loginName(email), userId, hash, createdAt: now };
    try {
      await this.call(() => this.ctx.doc.send(new PutCommand({ TableName: this.name, Item: item, ConditionExpression: 'attribute_not_exists(id)' })));
    } catch (err) {
      if (isConditionFailed(err)) throw conflict('a user with this email already has a login');
      throw err;
    }
  }

  find(email: string): Promise<Credential | undefined> {
    return this.get(loginName(email));
  }
}
