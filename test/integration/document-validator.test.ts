import { expect } from 'chai';
import { Ajv, type AnySchema } from 'ajv';
import { contentHash } from '../../src/runtime/content-hash.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runParse } from '../../src/stages/parse.js';
import { runPlan } from '../../src/stages/plan.js';
import { sourceOf } from '../../src/sources.js';
import { DELETED_STATUS } from '../../src/titelive/product-collection.js';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';

/**
 * The BSON type the Node driver gives a JavaScript value: integers that fit in 32 bits are int,
 * other numbers double, bigints long, Dates date.
 */
function bsonTypeOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'long';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1 ? 'int' : 'double';
  if (value instanceof Date) return 'date';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

/** ajv, taught MongoDB's `bsonType` keyword, so that the `$jsonSchema` load installs is checked as the server would. */
function validatorFor(schema: unknown) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addKeyword({
    keyword: 'bsonType',
    validate: (wanted: string | string[], value: unknown) => {
      const type = bsonTypeOf(value);
      const allowed = Array.isArray(wanted) ? wanted : [wanted];
      // MongoDB's "number" alias covers int, long, double and decimal.
      return allowed.includes(type) || (allowed.includes('number') && ['int', 'long', 'double'].includes(type));
    },
  });
  return ajv.compile(schema as AnySchema);
}

describe("the collection's $jsonSchema validator against the documents load writes", function () {
  this.timeout(120_000);

  it('accepts every real-shaped document of both categories, active and deleted, and refuses a wrong one', async () => {
    const sandbox = new Sandbox({ products: 400, endDay: '2024-01-08', days: 10 });
    await sandbox.start();
    const window = { start: '2024-01-01', end: '2024-01-08' };
    const facet = await sourceOf('paper').products();
    const validate = validatorFor(facet.documentSchema);
    let checked = 0;
    try {
      for (const category of ['paper', 'music'] as const) {
        const dataUrl = await tempDir();
        const storage = new LocalStorage(dataUrl);
        await runPlan(planConfig(sandbox, dataUrl, window, { dataset: category }), quietContext());
        await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index: 0, count: 1 }, { dataset: category }), quietContext());
        await runParse({ mode: 'run', workers: 0, dataset: category, runId: window.end, dataUrl, shard: { index: 0, count: 1 } }, quietContext());
        const manifests = await readManifests(storage, { dataset: category, runId: window.end }, 'products');
        const now = new Date();
        for await (const row of readStageRows(storage, manifests, { columns: facet.columns.map((column) => column.name) })) {
          const content = facet.document(row, category);
          // As load writes it: the content, then its bookkeeping fields.
          const document = { ...content, status: 'active', deletedAt: null, contentHash: contentHash(content), firstSeenRunId: window.end, lastChangedRunId: window.end, updatedAt: now };
          expect(validate(document), `${category} ${content._id}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).to.equal(true);
          const deleted = { ...document, status: DELETED_STATUS, deletedAt: now };
          expect(validate(deleted), `${content._id} deleted: ${JSON.stringify(validate.errors?.slice(0, 3))}`).to.equal(true);
          checked += 1;
        }
      }
    } finally {
      await sandbox.stop();
    }
    expect(checked, 'documents checked').to.be.greaterThan(500);

    // It can refuse: a price as text, a missing hash, an unknown status.
    const base = { _id: '9780000000001', category: 'paper', status: 'active', contentHash: 'x', firstSeenRunId: 'r', lastChangedRunId: 'r', updatedAt: new Date() };
    expect(validate(base)).to.equal(true);
    expect(validate({ ...base, article_prix: '12.50' })).to.equal(false);
    expect(validate({ ...base, contentHash: undefined })).to.equal(false);
    expect(validate({ ...base, status: 'gone' })).to.equal(false);
  });
});
