// Small builders shared by the two OpenAPI documents, so each reads as a list of operations.

export type Schema = Record<string, unknown>;
export type Operation = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
export const uuid: Schema = { type: 'string', format: 'uuid' };

export const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });

export const errorResponse = (description: string) => json(ref('Error'), description);

export const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: str(), message: str() } } },
};

export const idParam = (name: string, description: string, schema: Schema = uuid) => ({ name, in: 'path', required: true, description, schema });

export interface OpSpec {
  summary: string;
  tags: string[];
  body?: Schema;
  params?: unknown[];
  responses: Record<string, unknown>;
  /** Security requirement override; undefined = the document's default. */
  security?: unknown[];
}

export const op = (id: string, s: OpSpec): Operation => ({
  operationId: id,
  summary: s.summary,
  tags: s.tags,
  ...(s.params ? { parameters: s.params } : {}),
  ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: s.body } } } } : {}),
  responses: s.responses,
  ...(s.security ? { security: s.security } : {}),
});
