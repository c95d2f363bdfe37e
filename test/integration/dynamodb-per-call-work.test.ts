import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import t from 'tap';
import { reusePerCallWork } from '../../app/dynamodb/per-call-work.js';
import { testDynalite } from '../helpers/dynalite.js';

// The real SDK against a real dynalite: with the signer and user agent made once, every call
// is still signed and labelled as the SDK would sign and label it.
t.test('one signer and one user agent serve every call, each request still signed', async (t) => {
  const db = await testDynalite(t.teardown);
  const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDSHOAL', secretAccessKey: 'secret' }, cacheMiddleware: true });
  t.teardown(() => client.destroy());
  let signersMade = 0;
  const makeSigner = client.config.signer;
  client.config.signer = (scheme) => (signersMade++, makeSigner(scheme));
  reusePerCallWork(client);
  const sent: Record<string, string>[] = [];
  client.middlewareStack.add(
    (next) => (args) => {
      sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
      return next(args);
    },
    { step: 'deserialize', name: 'capture' },
  );

  await client.send(new CreateTableCommand({ TableName: 'per-call', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  await client.send(new PutItemCommand({ TableName: 'per-call', Item: { id: { S: 'a' }, n: { N: '1' } } }));
  const got = await client.send(new GetItemCommand({ TableName: 'per-call', Key: { id: { S: 'a' } } }));
  t.same(got.Item, { id: { S: 'a' }, n: { N: '1' } });

  t.equal(signersMade, 1, 'the signer is made once');
  t.equal(sent.length, 3);
  for (const h of sent) {
    t.match(h.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDSHOAL\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    t.match(h['user-agent'], /aws-sdk-js\/\S+ .*api\/dynamodb/);
  }
  t.equal(new Set(sent.map((h) => h.authorization)).size, 3, 'each request has its own signature');
});
