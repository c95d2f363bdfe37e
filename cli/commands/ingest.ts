import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { tableNames } from '../../app/store/table-names.js';
import { ConfigError } from '../../lib/errors.js';
import { nonNegativeInt, opt, parseOptions, positiveInt } from '../options.js';
import { action } from '../run.js';
import { readStack } from '../stack/stack-file.js';
import { addDynamoOptions, dynamoFields, dynamoSettings } from './tables.js';

const MidiFlags = z.object({
  concurrency: nonNegativeInt.max(64, { message: 'expected at most 64 workers' }),
  s3Endpoint: z.string().refine((v) => URL.canParse(v), { message: 'expected a URL' }).optional(),
  ...dynamoFields,
});
const SimilarFlags = z.object({ topK: positiveInt.max(100, { message: 'expected at most 100' }), full: z.boolean().optional(), ...dynamoFields });

/** `shoal ingest midi SOURCE` and `shoal ingest similar`: fill songs' instruments from MIDI and rank similar songs. */
export function registerIngest(program: Command): void {
  const ingest = program.command('ingest').description('batch jobs over the music table: MIDI instruments, similar songs');

  const midi = addDynamoOptions(
    ingest
      .command('midi')
      .description('upsert a song per .mid/.midi file with its General MIDI instruments (resumable; corrupt files are named and skipped)')
      .argument('<source>', 'a local folder or s3://bucket/prefix')
      .addOption(opt('--concurrency <n>', 'parser worker threads (0: parse in this thread)', 'SHOAL_INGEST_CONCURRENCY').default(String(Math.max(1, availableParallelism() - 1))))
      .addOption(opt('--s3-endpoint <url>', 'an S3-compatible endpoint (path-style); AWS_ENDPOINT_URL_S3 works too', 'SHOAL_S3_ENDPOINT')),
  );
  midi.action(
    action(async (source: string) => {
      const o = parseOptions(midi, MidiFlags);
      const [{ ingestMidi }, { ParserPool }, { progress }] = await Promise.all([import('../../ingest/midi-ingest.js'), import('../../ingest/midi/parser-pool.js'), import('../../ingest/progress.js')]);
      const db = await openStackDynamo(o);
      const src = await openSource(source, o.s3Endpoint).catch(async (err: unknown) => {
        await db.close();
        throw err;
      });
      const parser = new ParserPool(o.concurrency);
      let bar: ReturnType<typeof progress> | undefined;
      try {
        const { Stores } = await import('../../app/store/index.js');
        const stores = new Stores(db, tableNames(o.tablePrefix));
        const summary = await ingestMidi({
          source: src,
          music: stores.music,
          parser,
          inFlight: Math.max(2, o.concurrency * 2),
          onCorrupt: (f, reason) => {
            if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
            process.stderr.write(`${f.uri}: ${reason} (skipped)\n`);
          },
          onProgress: (done, total) => (bar ??= progress(process.stderr, total, 'files')).tick(done),
        });
        bar?.end();
        const rate = summary.seconds > 0 ? (summary.ingested / summary.seconds).toFixed(1) : '0';
        process.stdout.write(`${summary.files} files: ${summary.ingested} ingested, ${summary.unchanged} unchanged, ${summary.corrupt} skipped as corrupt in ${summary.seconds.toFixed(1)} s (${rate} files/s)\n`);
        if (summary.corrupt > 0) process.exitCode = 1;
      } finally {
        bar?.end();
        await parser.close();
        await db.close();
        if ('close' in src && typeof src.close === 'function') src.close();
      }
    }),
  );

  const similar = addDynamoOptions(
    ingest
      .command('similar')
      .description('rank every song by shared instruments (Jaccard, rare instruments break ties) into the similar table; incremental unless --full')
      .addOption(opt('--top-k <n>', 'neighbours kept per song', 'SHOAL_SIMILAR_TOP_K').default('20'))
      .option('--full', 'recompute every list, not only the new songs and the lists they enter'),
  );
  similar.action(
    action(async () => {
      const o = parseOptions(similar, SimilarFlags);
      const [{ refreshSimilar }, { Stores }] = await Promise.all([import('../../ingest/similar-run.js'), import('../../app/store/index.js')]);
      const db = await openStackDynamo(o);
      try {
        const stores = new Stores(db, tableNames(o.tablePrefix));
        const s = await refreshSimilar({ music: stores.music, similar: stores.similar, k: o.topK, full: !!o.full });
        process.stdout.write(`${s.songs} songs (${s.fresh} new): ${s.written} lists written, ${s.candidatePairs} candidate pairs, ${s.seconds.toFixed(2)} s\n`);
      } finally {
        await db.close();
      }
    }),
  );
}

/** A folder or an s3:// URL; anything else is a bad argument. */
async function openSource(source: string, s3Endpoint: string | undefined) {
  const { parseS3Url, S3Source } = await import('../../ingest/sources/s3.js');
  const s3 = parseS3Url(source);
  if (s3) {
    const env = process.env;
    const endpoint = s3Endpoint ?? env.AWS_ENDPOINT_URL_S3;
    // An S3 look-alike takes any signature; AWS itself gets the default credential chain.
    const dummy = endpoint && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE;
    return new S3Source({ ...s3, endpoint, region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined, credentials: dummy ? { accessKeyId: 'shoal', secretAccessKey: 'shoal' } : undefined });
  }
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new ConfigError(`invalid source: ${JSON.stringify(source)} is neither a folder nor s3://bucket/prefix`);
  const { LocalSource } = await import('../../ingest/sources/local.js');
  return new LocalSource(source);
}

/** The stack's DynamoDB when `shoal up` runs in the data dir and no --dynamodb was given; else as `shoal seed` would. */
async function openStackDynamo(o: { dynamodb?: string; dataDir: string }) {
  const { openDynamo } = await import('../../app/dynamodb/client.js');
  const stack = o.dynamodb === undefined && !process.env.DYNAMODB_ENDPOINT ? await readStack(o.dataDir) : undefined;
  return openDynamo(dynamoSettings(stack ? { ...o, dynamodb: stack.dynamodb.endpoint } : o));
}
