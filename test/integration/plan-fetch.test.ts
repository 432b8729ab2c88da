import { expect } from 'chai';
import { planDayOverCapProducts } from '../../src/runtime/metrics.js';
import { addDays } from '../../src/runtime/calendar.js';
import { readManifests } from '../../src/runtime/manifest.js';
import { readStageRows } from '../../src/runtime/part-io.js';
import { LocalStorage } from '../../src/runtime/storage/local-storage.js';
import { Sandbox } from '../../src/sandbox/server.js';
import { runFetch } from '../../src/stages/fetch.js';
import { runPlan } from '../../src/stages/plan.js';
import { keepArticle } from '../../src/titelive/article-filter.js';
import { articlesOf, eanOf } from '../../src/titelive/response-shapes.js';
import { fetchConfig, planConfig, quietContext, tempDir } from '../helpers/run-stages.js';

const window = { start: '2024-01-01', end: '2024-01-08' };

/** What a correct plan must contain, computed from the catalog itself. */
function expectedEans(sandbox: Sandbox): Set<string> {
  const expected = new Set<string>();
  for (const index of sandbox.catalog.productsModifiedBetween('paper', window.start, window.end)) {
    for (const article of articlesOf(sandbox.catalog.product('paper', index))) {
      const ean = eanOf(article);
      if (ean && keepArticle(article, window.start)) expected.add(ean);
    }
  }
  return expected;
}

describe('plan + fetch against the sandbox with faults switched on', function () {
  this.timeout(120_000);
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.stop());

  it('brings every expected EAN exactly once, with its text intact, despite 401s, 429 bursts, 5xx and object-shaped results', async () => {
    sandbox = new Sandbox({
      products: 1_500,
      endDay: addDays(window.end, 2),
      days: 20,
      faults: { tokenTtlRequests: 7, throttleEvery: 9, throttleBurst: 2, retryAfterSeconds: 0.05, errorRate: 0.15, objectResults: 0.5 },
    });
    await sandbox.start();
    const dataUrl = await tempDir();
    const plan = await runPlan(planConfig(sandbox, dataUrl, window, { titelive: { ...planConfig(sandbox, dataUrl, window).titelive, concurrency: 3 } }), quietContext());
    const expected = expectedEans(sandbox);
    expect(expected.size).to.be.greaterThan(300);
    expect(plan.counts.planned).to.equal(expected.size);
    expect(plan.counts.filtered_old).to.be.greaterThan(0);

    const shards = 3;
    const manifests = await Promise.all(
      Array.from({ length: shards }, (_, index) =>
        runFetch(fetchConfig(sandbox, dataUrl, window.end, { index, count: shards }, { batchSize: 40 }), quietContext()),
      ),
    );
    const stats = sandbox.getStats();
    expect(stats.status401, '401s seen').to.be.greaterThan(0);
    expect(stats.status429, '429s seen').to.be.greaterThan(0);
    expect(stats.status5xx, '5xx seen').to.be.greaterThan(0);
    expect(stats.logins).to.be.greaterThan(3);

    const storage = new LocalStorage(dataUrl);
    const seen = new Map<string, number>();
    let deleted = 0;
    for await (const row of readStageRows(storage, await readManifests(storage, { dataset: 'paper', runId: window.end }, 'fetch'))) {
      const ean = row.ean as string;
      seen.set(ean, (seen.get(ean) ?? 0) + 1);
      const located = sandbox.catalog.locate('paper', ean)!;
      if (row.status === 'deleted') {
        deleted += 1;
        expect(sandbox.catalog.isDeleted('paper', located.index, located.articleNumber), `${ean} deleted`).to.equal(true);
        continue;
      }
      expect(row.status).to.equal('found');
      // Byte-for-byte: the stored JSON is the product the API sent (accents, ’, «», œ, emoji).
      expect(JSON.parse(row.data as string)).to.deep.equal(sandbox.catalog.eanEntry('paper', ean));
    }
    expect([...seen.keys()].sort()).to.deep.equal([...expected].sort());
    expect([...seen.values()].every((count) => count === 1)).to.equal(true);
    expect(deleted).to.be.greaterThan(0);
    const counted = manifests.reduce((sum, manifest) => sum + manifest.counts.found! + manifest.counts.deleted!, 0);
    expect(counted).to.equal(expected.size);
    expect(manifests.every((manifest) => manifest.counts.failed === 0)).to.equal(true);
  });

  it('splits a 404 batch to find the survivors when the API answers 404 for any unknown EAN', async () => {
    sandbox = new Sandbox({ products: 400, endDay: window.end, days: 10, faults: { ean404: 'any-missing' } });
    await sandbox.start();
    const dataUrl = await tempDir();
    await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    const manifest = await runFetch(fetchConfig(sandbox, dataUrl, window.end, { index: 0, count: 1 }), quietContext());
    const expected = expectedEans(sandbox);
    const deletedInCatalog = [...expected].filter((ean) => {
      const located = sandbox.catalog.locate('paper', ean)!;
      return sandbox.catalog.isDeleted('paper', located.index, located.articleNumber);
    });
    expect(deletedInCatalog.length).to.be.greaterThan(0);
    expect(manifest.counts.deleted).to.equal(deletedInCatalog.length);
    expect(manifest.counts.found).to.equal(expected.size - deletedInCatalog.length);
    expect(sandbox.getStats().status404).to.be.greaterThan(1);
  });

  it('fails at once on a day over the 20,000-result cap unless --allow-partial, which records the anomaly', async () => {
    sandbox = new Sandbox({ products: 20_100, endDay: '2024-01-07', days: 1 });
    await sandbox.start();
    const dataUrl = await tempDir();
    let error: unknown;
    try {
      await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    } catch (caught) {
      error = caught;
    }
    // Titelive's search takes both bounds inclusively, so the day before sees them too.
    expect((error as Error).message).to.contain('2024-01-06 has 20100 paper results').and.contain('--allow-partial');
    // Five empty days, then the first page of the day over the cap, and nothing after it.
    expect(sandbox.getStats().searches).to.equal(6);
    expect(await new LocalStorage(dataUrl).exists('paper/2024-01-08/plan/_shards/00000.json')).to.equal(false);

    const partial = await runPlan(planConfig(sandbox, dataUrl, window, { allowPartial: true, titelive: { ...planConfig(sandbox, dataUrl, window).titelive, concurrency: 8 } }), quietContext());
    // The API serves pages up to page × 120 ≤ 20,000: 166 pages, 19,920 products; page 167 is never asked for.
    expect(partial.anomalies).to.deep.include({ type: 'day_over_cap', day: '2024-01-07', total: 20_100, cap: 20_000, kept: 19_920, missed: 180, pages: 166 });
    expect(partial.counts.planned).to.be.greaterThan(19_000);
  });

  it("ends a day's paging as partial when the API refuses a page as past its cap (HTTP 400), with the day in the manifest and the metrics", async () => {
    // A cap lower than the one the client knows: the 400 is the only sign of it.
    sandbox = new Sandbox({ products: 3_000, endDay: '2024-01-07', days: 1, faults: { resultCap: 1_000 } });
    await sandbox.start();
    const dataUrl = await tempDir();
    const config = planConfig(sandbox, dataUrl, window);
    let error: unknown;
    try {
      await runPlan(config, quietContext());
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).to.contain('refused page 9 as past its result cap').and.contain('--allow-partial');
    planDayOverCapProducts.reset();
    const partial = await runPlan({ ...config, allowPartial: true }, quietContext());
    const anomaly = partial.anomalies.find((entry) => entry.type === 'day_over_cap' && entry.day === '2024-01-07')!;
    // Pages 1–8 of 120 are served (960 products); page 9 ends past 1,000 and is refused.
    expect(anomaly).to.include({ total: 3_000, kept: 960, missed: 2_040, refusedPage: 9 });
    const metric = await planDayOverCapProducts.get();
    const value = (count: string) => metric.values.find((sample) => sample.labels.day === '2024-01-07' && sample.labels.count === count)?.value;
    expect([value('total'), value('kept')]).to.deep.equal([3_000, 960]);
  });

  it('records a zero-result day and keeps going', async () => {
    sandbox = new Sandbox({ products: 50, endDay: '2024-01-03', days: 2 });
    await sandbox.start();
    const dataUrl = await tempDir();
    const manifest = await runPlan(planConfig(sandbox, dataUrl, window), quietContext());
    const zeroDays = manifest.anomalies.filter((anomaly) => anomaly.type === 'zero_result_day').map((anomaly) => anomaly.day);
    expect(zeroDays).to.include.members(['2024-01-04', '2024-01-05', '2024-01-06', '2024-01-07']);
    expect(manifest.counts.planned).to.be.greaterThan(0);
  });
});
