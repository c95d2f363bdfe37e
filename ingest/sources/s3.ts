import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { isMidiName, type MidiSource, type SourceFile } from './source.js';

export interface S3Settings {
  bucket: string;
  prefix: string;
  /** An S3-compatible endpoint (path-style addressing); AWS itself when absent. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** `s3://bucket/prefix` → bucket and prefix; undefined for anything else. */
export function parseS3Url(source: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(source);
  return m ? { bucket: m[1]!, prefix: m[2]! } : undefined;
}

/** Objects under a prefix, listed with ListObjectsV2 page by page; a file's tag is its ETag. */
export class S3Source implements MidiSource {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly s: S3Settings) {
    this.description = `s3://${s.bucket}/${s.prefix}`;
    this.client = new S3Client({ region: s.region ?? 'us-east-1', credentials: s.credentials, ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}) });
  }

  async *list(): AsyncIterable<SourceFile> {
    for await (const page of paginateListObjectsV2({ client: this.client, pageSize: 1000 }, { Bucket: this.s.bucket, Prefix: this.s.prefix })) {
      for (const o of page.Contents ?? []) {
        if (!o.Key || !isMidiName(o.Key)) continue;
        yield { uri: `s3://${this.s.bucket}/${o.Key}`, name: o.Key.replace(/^.*\//, ''), tag: o.ETag ?? `${o.LastModified?.toISOString()}:${o.Size}`, size: o.Size ?? 0 };
      }
    }
  }

  async read(file: SourceFile): Promise<Uint8Array> {
    const key = file.uri.slice(`s3://${this.s.bucket}/`.length);
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: key }));
    if (!res.Body) throw new Error(`s3 object ${file.uri} has no body`);
    return res.Body.transformToByteArray();
  }

  close(): void {
    this.client.destroy();
  }
}
