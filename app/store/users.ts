import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NewUser, User, UserPatch } from '../model.js';
import { isConditionFailed } from './db-error.js';
import { newId } from './new-id.js';
import { Table, type TableContext } from './table.js';

export class UserStore extends Table<User> {
  constructor(ctx: TableContext, name: string) {
    super(ctx, name);
  }

  async create(input: NewUser, now = new Date().toISOString()): Promise<User> {
    return this.insert({ id: newId(), ...input, createdAt: now, updatedAt: now });
  }

  /** Applies the given fields; undefined when the user does not exist. */
  async update(id: string, patch: UserPatch, now = new Date().toISOString()): Promise<User | undefined> {
    const fields = { ...patch, updatedAt: now };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields).map(([k, v]) => {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      return `#${k} = :${k}`;
    });
    try {
      const res = await this.call(() =>
        this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.name,
            Key: { id },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return res.Attributes as User;
    } catch (err) {
      if (isConditionFailed(err)) return undefined;
      throw err;
    }
  }
}
