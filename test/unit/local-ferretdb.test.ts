import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { MongoClient } from 'mongodb';
import { FERRETDB_BINARY, startLocalFerretDb } from '../../src/runtime/local-ferretdb.js';

describe('throwaway FerretDB for run-local', function () {
  this.timeout(30_000);

  it('is not started when the tools folder has no FerretDB', async () => {
    expect(await startLocalFerretDb('/nonexistent/ferretdb')).to.equal(undefined);
  });

  it('serves on loopback from tools/bin, and stops', async function () {
    if (!existsSync(FERRETDB_BINARY)) this.skip();
    const server = (await startLocalFerretDb())!;
    expect(server.uri).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);
    const client = await MongoClient.connect(server.uri);
    await client.db('t').collection('c').insertOne({ _id: 'x' as never });
    expect(await client.db('t').collection('c').countDocuments()).to.equal(1);
    await client.close();
    await server.stop();
    const again = new MongoClient(server.uri, { serverSelectionTimeoutMS: 500 });
    const refused = await again.connect().then(() => false, () => true);
    await again.close();
    expect(refused, 'stopped').to.equal(true);
  });
});
