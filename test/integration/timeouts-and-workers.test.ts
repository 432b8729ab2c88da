import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AgentPool } from '../../src/runtime/http/agent-pool.js';
import { HttpClient } from '../../src/runtime/http/http-client.js';
import { WorkerPool } from '../../src/runtime/worker-pool.js';

describe('timeouts and dead workers', function () {
  this.timeout(60_000);

  it('fails a response that trickles in a byte at a time at the total timeout, on both transports', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '100' });
      const timer = setInterval(() => response.write('x'), 200);
      response.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow.jpg`;
    try {
      for (const transport of ['node-http', 'got'] as const) {
        const client = new HttpClient({ pool: new AgentPool({ maxSockets: 2 }), transport, timeoutMs: 1_000, retry: { maxAttempts: 1 } });
        const started = Date.now();
        let error: unknown;
        await client.request({ url, responseType: 'buffer' }).catch((caught: unknown) => (error = caught));
        const elapsed = Date.now() - started;
        expect(String(error), transport).to.match(/timeout|Timeout/);
        // Every byte arrives well within the socket's idle timeout: only a total deadline stops it.
        expect(elapsed, transport).to.be.within(900, 2_500);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  for (const death of ['exit', 'throw', 'oom'] as const) {
    it(`fails the task of a worker that dies (${death}) with a clear error, and replaces the worker`, async () => {
      const pool = new WorkerPool<{ value?: number; die?: string }, number>(new URL('../helpers/dying-worker.ts', import.meta.url), 1, { name: 'test worker', resourceLimits: { maxOldGenerationSizeMb: 32 } });
      try {
        expect(await pool.run({ value: 1 })).to.equal(2);
        let error: unknown;
        await pool.run({ die: death }).catch((caught: unknown) => (error = caught));
        expect(String(error)).to.match(/test worker thread 1 stopped .*while running its task; the task failed and the thread was replaced/);
        expect(await pool.run({ value: 21 })).to.equal(42);
      } finally {
        await pool.close();
      }
    });
  }
});
