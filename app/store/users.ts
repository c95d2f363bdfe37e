import type { NewUser, User, UserPatch } from '../model.js';
import { Table, type TableContext } from './table.js';

export class UserStore extends Table<User> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  async create(input: NewUser, now = new Date().toISOString()): Promise<User> {
    return this.insert({ id: this.newId(), ...input, createdAt: now, updatedAt: now });
  }

  /** Applies the given fields; undefined when the user does not exist. */
  async update(id: string, patch: UserPatch, now = new Date().toISOString()): Promise<User | undefined> {
    return this.setFields(id, { ...patch, updatedAt: now });
  }
}
