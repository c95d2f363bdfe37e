import { request } from 'undici';

/**
 * A client written the way the course's Python clients were (`requests` with `json=` and
 * `headers={'Authorization': 'Bearer A'}`): every call sends the header, bodies as JSON,
 * and the answer is read as `status_code`, `json()` and `text`.
 */
export interface CourseResponse {
  status_code: number;
  text: string;
  json(): Record<string, unknown>;
}

export const DEFAULT_AUTH = 'Bearer A';

export class CourseClient {
  constructor(
    private readonly base: string,
    /** null: send no Authorization header at all. */
    private readonly auth: string | null = DEFAULT_AUTH,
  ) {}

  get = (path: string) => this.send('GET', path);
  delete = (path: string) => this.send('DELETE', path);
  post = (path: string, json: unknown) => this.send('POST', path, json);
  put = (path: string, json: unknown) => this.send('PUT', path, json);

  async send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown): Promise<CourseResponse> {
    const headers: Record<string, string> = {};
    if (this.auth !== null) headers.authorization = this.auth;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const res = await request(this.base + path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json), headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    return { status_code: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
  }
}
