import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { expect } from 'chai';
import { jobFromCronJob, ownerReferenceTo } from '../../src/k8s/job-from-template.js';
import { runTag, stageJobName, stageTemplateName } from '../../src/k8s/job-names.js';
import { describeJobState, jobState } from '../../src/k8s/job-state.js';
import { stageFailedMessage } from '../../src/k8s/pipeline.js';

const cronJob: V1CronJob = {
  metadata: { name: 'etl-paper-fetch', namespace: 'etl' },
  spec: {
    schedule: '0 2 * * *',
    jobTemplate: {
      metadata: { labels: { 'app.kubernetes.io/component': 'fetch' }, annotations: { note: 'kept' } },
      spec: {
        completionMode: 'Indexed',
        completions: 4,
        template: {
          metadata: { labels: { 'app.kubernetes.io/component': 'fetch' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'fetch', image: 'titelive-etl:1', env: [{ name: 'SHARD_COUNT', value: '4' }, { name: 'RUN_ID', value: 'stale' }] }] },
        },
      },
    },
  },
};

describe('pipeline orchestrator: Job names, template copy, status', function () {
  it('names stage Jobs <release>-<category>-<stage>-<run>-<attempt>, within 63 characters, the same every time', function () {
    expect(stageTemplateName('titelive-etl', 'music', 'images')).to.equal('titelive-etl-music-images');
    expect(stageJobName('titelive-etl-paper-fetch', '2026-11-23', 1)).to.equal('titelive-etl-paper-fetch-20261123-1');
    expect(runTag('manual')).to.equal('manual');
    expect(runTag('Backfill_2024')).to.match(/^[0-9a-f]{8}$/).and.equal(runTag('Backfill_2024'));
    expect(runTag('Backfill_2024')).to.not.equal(runTag('Backfill_2025'));
    const long = stageJobName(`${'r'.repeat(37)}-music-pipeline`, '2026-11-23', 12);
    expect(long.length).to.be.at.most(63);
    expect(long).to.match(/^r{37}-music-[0-9a-f]{6}-20261123-12$/);
  });

  it('copies the CronJob template as kubectl create job --from does, with RUN_ID, run labels and the owner', function () {
    const owner = ownerReferenceTo({ metadata: { name: 'pipeline-1', uid: 'u-1' } } as V1Job);
    const job = jobFromCronJob(cronJob, { name: 'etl-paper-fetch-20261123-2', category: 'paper', stage: 'fetch', runId: '2026-11-23', attempt: 2, owner });
    expect(job.metadata).to.deep.include({ name: 'etl-paper-fetch-20261123-2', namespace: 'etl', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pipeline-1', uid: 'u-1', controller: true }] });
    expect(job.metadata!.labels).to.deep.equal({ 'app.kubernetes.io/component': 'fetch', 'titelive-etl/category': 'paper', 'titelive-etl/stage': 'fetch', 'titelive-etl/run': '20261123' });
    expect(job.metadata!.annotations).to.deep.equal({ note: 'kept', 'cronjob.kubernetes.io/instantiate': 'manual', 'titelive-etl/run-id': '2026-11-23', 'titelive-etl/attempt': '2' });
    expect(job.spec).to.include({ completionMode: 'Indexed', completions: 4 });
    expect(job.spec!.template.spec!.containers[0]!.env).to.deep.equal([{ name: 'SHARD_COUNT', value: '4' }, { name: 'RUN_ID', value: '2026-11-23' }, { name: 'SKIP_COMPLETE_SHARDS', value: 'true' }]);
    expect(job.spec!.template.metadata!.labels).to.include({ 'titelive-etl/run': '20261123' });
    // The template itself is untouched.
    expect(cronJob.spec!.jobTemplate.spec!.template.spec!.containers[0]!.env![1]).to.deep.equal({ name: 'RUN_ID', value: 'stale' });
    const laptop = jobFromCronJob(cronJob, { name: 'x', category: 'paper', stage: 'fetch', runId: 'r', attempt: 1, owner: undefined });
    expect(laptop.metadata).to.not.have.property('ownerReferences');
    // A backfill's plan Job: the list's variables over the template's.
    const backfill = jobFromCronJob(cronJob, { name: 'y', category: 'paper', stage: 'plan', runId: 'backfill-1', attempt: 1, owner: undefined, env: { EANS_FROM: 'gs://b/l.csv', SHARD_COUNT: '1' } });
    expect(backfill.spec!.template.spec!.containers[0]!.env).to.deep.equal([{ name: 'RUN_ID', value: 'backfill-1' }, { name: 'SKIP_COMPLETE_SHARDS', value: 'true' }, { name: 'EANS_FROM', value: 'gs://b/l.csv' }, { name: 'SHARD_COUNT', value: '1' }]);
  });

  it('reads a Job as finished only from its Complete or Failed condition, and says why it failed', function () {
    const running = jobState({ spec: { completions: 4, template: {} }, status: { active: 2, succeeded: 1, failed: 1 } });
    expect(running.phase).to.equal('running');
    expect(describeJobState(running)).to.equal('1/4 shards done, 2 running, 1 failed attempt');
    const failed = jobState({ spec: { completions: 4, template: {} }, status: { failed: 1, failedIndexes: '1', conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'Container fetch for pod etl/x-1 failed with exit code 2' }] } });
    expect(failed).to.include({ phase: 'failed', failedIndexes: '1', reason: 'PodFailurePolicy' });
    expect(jobState({ status: { conditions: [{ type: 'Complete', status: 'True' }] } }).phase).to.equal('succeeded');
    expect(jobState({ status: { conditions: [{ type: 'Failed', status: 'False' }] } }).phase).to.equal('running');
    const message = stageFailedMessage({ category: 'paper', runId: '2026-11-23', release: 'etl' }, 'data', 'fetch', 'etl-paper-fetch-20261123-1', failed);
    expect(message).to.equal(
      'pipeline paper run 2026-11-23 stopped at fetch: Job etl-paper-fetch-20261123-1 failed (PodFailurePolicy: Container fetch for pod etl/x-1 failed with exit code 2; failed shards 1). ' +
        'Inspect it: kubectl -n data describe job/etl-paper-fetch-20261123-1; kubectl -n data logs -l job-name=etl-paper-fetch-20261123-1 --tail=50. ' +
        'Then resume from fetch: kubectl -n data create job --from=cronjob/etl-paper-pipeline <name>',
    );
  });
});
