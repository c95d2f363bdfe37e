import t from 'tap';
import { advertiseAddress } from '../../app/config.js';
import { dynamoChoice } from '../../app/dynamodb/choice.js';
import { toHttpError } from '../../app/http/error-mapper.js';
import { uuidV5 } from '../../app/seed/ids.js';
import { decodeCursor, encodeCursor } from '../../app/store/cursor.js';
import { dbError } from '../../app/store/db-error.js';
import { ShoalError } from '../../lib/errors.js';

t.test('uuidV5 is RFC 9562 version 5 (matches Python uuid.uuid5)', async (t) => {
  t.equal(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  t.equal(uuidV5('sample-user:Ada Lovelace'), 'bd185c6d-32dd-53f4-bdac-b10080d144ea', 'the id in samples/users.csv');
});

t.test('advertise address: host:port, never a wildcard', async (t) => {
  for (const ok of ['10.0.0.5:3000', 'app-1.internal:80', '[::1]:3000', 'localhost:65535']) t.ok(advertiseAddress.safeParse(ok).success, ok);
  for (const bad of ['0.0.0.0:3000', '[::]:3000', '::', 'host', 'host:0', 'host:70000', ':3000', 'http://host:3000']) t.notOk(advertiseAddress.safeParse(bad).success, bad);
});

t.test('dynamodb choice', async (t) => {
  t.same(dynamoChoice.parse('embedded'), { kind: 'embedded' });
  t.same(dynamoChoice.parse('aws'), { kind: 'aws' });
  t.same(dynamoChoice.parse('http://127.0.0.1:8000/'), { kind: 'endpoint', url: 'http://127.0.0.1:8000' });
  t.notOk(dynamoChoice.safeParse('local').success);
  t.notOk(dynamoChoice.safeParse('ftp://x').success);
});

t.test('cursor round trip; forged cursors are a 400', async (t) => {
  const id = '6ba7b810-9dad-41d1-80b4-00c04fd430c8';
  t.same(decodeCursor(encodeCursor({ id })!), { id });
  t.equal(encodeCursor(undefined), null);
  t.equal(decodeCursor(undefined), undefined);
  for (const bad of ['x', Buffer.from('{"id":1}').toString('base64url'), Buffer.from(`{"id":"${id}","x":1}`).toString('base64url')]) {
    t.throws(() => decodeCursor(bad), { code: 'SHOAL_ERR_INVALID_CURSOR', status: 400 });
  }
});

t.test('SDK failures: outages become 503s, our own mistakes stay 500s', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', $metadata: {} });
  t.match(dbError(refused, 'http://db'), { status: 503, code: 'SHOAL_ERR_DB_UNAVAILABLE', message: /http:\/\/db is unreachable/ });
  t.match(dbError(Object.assign(new Error('x'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } }), 'd'), { status: 503, message: /shoal tables create/ });
  t.match(dbError(Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }), 'd'), { status: 503 });
  t.match(dbError(Object.assign(new Error('x'), { name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } }), 'd'), { status: 503, message: /credentials/ });
  t.match(dbError(Object.assign(new Error('x'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }), 'd'), { status: 503 });
  const ours = Object.assign(new Error('bad expression'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
  t.equal(dbError(ours, 'd'), ours);
  t.match(toHttpError(ours), { status: 500, code: 'SHOAL_ERR_INTERNAL', message: /internal error/ });
  t.notMatch(toHttpError(ours).message, /bad expression/, 'internals are not exposed');
  t.match(toHttpError(Object.assign(new Error('Method Not Allowed'), { status: 405, expose: true })), { status: 405, code: 'SHOAL_ERR_METHOD_NOT_ALLOWED' });
  const mine = new ShoalError('SHOAL_ERR_X', 'x', 409);
  t.equal(toHttpError(mine), mine);
});
