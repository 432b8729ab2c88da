import { expect } from 'chai';
import { STAGE_RESOLVERS } from '../../src/config.js';
import { STAGE_TABLE, STAGES, stageRow, type StageRow } from '../../src/stage-table.js';

describe('the stage table', () => {
  const rows = STAGE_TABLE as readonly StageRow[];

  it('names each stage and folder once, and lists upstream only stages that come before', () => {
    expect(new Set(STAGES).size).to.equal(rows.length);
    expect(new Set(rows.map((row) => row.folder)).size).to.equal(rows.length);
    rows.forEach((row, index) => {
      for (const upstream of row.upstream) expect(STAGES.indexOf(upstream as never), `${row.name}'s upstream ${upstream}`).to.be.within(0, index - 1);
    });
  });

  it('gives every stage a resolver for its config, and a sharded stage the shard options', () => {
    for (const row of rows) {
      expect(STAGE_RESOLVERS[row.config], row.name).to.be.a('function');
      const options: readonly string[] = row.options;
      for (const option of ['shard-index', 'shard-count']) expect(options.includes(option), `${row.name} --${option}`).to.equal(row.sharded);
      expect(row.defaultShards > 1, `${row.name}'s default shards`).to.equal(row.sharded);
    }
  });

  it("gives verify each stage's rules: the rows of its parts, and what it took in from the stages before", () => {
    const totals = { accounting: { unit: 'EANs', in: 7, ended: { found: 5, deleted: 1, failed: 1 }, names: {} }, outputRows: 7 };
    expect(stageRow('fetch').rowsOut!(totals.accounting, {} as never)).to.equal(7);
    const planned = { accounting: { unit: 'articles', in: 9, ended: { planned: 7, duplicate: 2 }, names: {} }, outputRows: 7 };
    const fetch = stageRow('fetch').handoff!;
    expect([fetch.actual(totals), fetch.expected(() => planned)]).to.deep.equal([7, 7]);
    expect(stageRow('plan').handoff).to.equal(undefined);
  });
});
