/**
 * Images throughput against the sandbox image host (50 ms added latency) and fake-gcs-server,
 * for several socket caps: images/s, sockets the image host saw, and peak RSS of the command.
 *   npm run bench:images [-- --caps 8,32,128 --latency-ms 50 --seconds 8 --repeat 1 --json out.json]
 * Needs fake-gcs-server (npm run tools, or STORAGE_EMULATOR_HOST).
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ParquetFileWriter } from '../src/runtime/parquet/parquet-writer.js';
import { createGcsClient } from '../src/runtime/storage/gcs-storage.js';
import { Sandbox } from '../src/sandbox/server.js';
import { articlesOf, eanOf } from '../src/titelive/response-shapes.js';
import { arg, peakRssKb, spread, writeJsonResult } from './bench-kit.js';
import { startFakeGcs } from './fake-gcs.js';


const root = path.resolve(import.meta.dirname, '..');
const caps = arg('caps', '8,32,128').split(',').map(Number);
const latencyMs = Number(arg('latency-ms', '50'));
const seconds = Number(arg('seconds', '8'));
const repeat = Number(arg('repeat', '1'));
const results: unknown[] = [];

const gcs = await startFakeGcs();
process.env.STORAGE_EMULATOR_HOST = `http://${gcs.host}`;
const bucket = 'bench-images';
await (await createGcsClient()).createBucket(bucket).catch(() => undefined);
const largest = Math.max(...caps);
const sandbox = new Sandbox({ products: Math.ceil((largest * (1000 / latencyMs) * seconds) / 2) + 100, endDay: '2024-01-08', days: 10, faults: { latencyMs } });
await sandbox.start();
const folder = await mkdtemp(path.join(os.tmpdir(), 'titelive-images-bench-'));

process.stdout.write(`images: sandbox image host +${latencyMs} ms, fake-gcs-server uploads, ${os.availableParallelism()} CPUs, Node ${process.version}\n`);
process.stdout.write('  cap   images   images/s   % of cap/latency   image-host sockets   peak RSS\n');
try {
  for (const cap of caps) {
    // Enough rows for about `seconds` at the pool's limit; each row has a recto and a verso.
    const images = Math.round((cap * 1000 * seconds) / latencyMs);
    const input = path.join(folder, `products-${cap}.parquet`);
    const writer = new ParquetFileWriter(input, [
      { name: 'article_gencod', type: 'STRING', required: true },
      { name: 'article_imagesUrl', type: 'STRING' },
      { name: 'article_image', type: 'INT64' },
      { name: 'article_image_4', type: 'INT64' },
    ]);
    let rows = 0;
    for (let index = 0; rows * 2 < images; index++) {
      for (const article of articlesOf(sandbox.catalog.product('paper', index))) {
        const ean = eanOf(article)!;
        const [recto, verso] = [sandbox.catalog.imageUrl('paper', ean, 'recto'), sandbox.catalog.imageUrl('paper', ean, 'verso')];
        await writer.append({ article_gencod: ean, article_imagesUrl: JSON.stringify({ recto, verso }), article_image: 1, article_image_4: 1 });
        rows += 1;
      }
    }
    await writer.close();
    const rates: number[] = [];
    let peak = 0;
    let sockets = 0;
    let heldBytes = 0;
    for (let run = 0; run < repeat; run++) {
    sandbox.resetStats();
    const child = spawn(process.execPath, [path.join(root, 'dist', 'cli.js'), 'images', '--input-parquet-path', input, '--gcs-thumb-base-path', `gs://${bucket}/cap-${cap}-${Date.now()}`, '--output-parquet-path', path.join(folder, `out-${cap}.parquet`), '--max-sockets', String(cap), '--image-hosts', new URL(sandbox.url).origin, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setInterval(() => (peak = Math.max(peak, peakRssKb(child.pid!))), 20);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearInterval(timer);
    if (code !== 0) throw new Error(`images exited ${code}: ${stderr.slice(-2000)}`);
    const done = stderr.split('\n').map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {})).find((record) => record.event === 'done');
    const uploaded = ((done?.counts as Record<string, number> | undefined)?.uploaded ?? 0);
    if (uploaded !== rows * 2) throw new Error(`expected ${rows * 2} uploads, the command reports ${uploaded}`);
    rates.push(Number(done?.perSecond ?? 0));
    const finished = stderr.split('\n').map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {})).find((record) => record.event === 'images_file_done');
    heldBytes = Math.max(heldBytes, Number(finished?.peakImageBytes ?? 0));
    sockets = Math.max(sockets, sandbox.getStats().connections);
    }
    const rate = spread(rates);
    const limit = cap * (1000 / latencyMs);
    results.push({ cap, latencyMs, images: rows * 2, imagesPerSecond: rate, limit, socketsSeen: sockets, peakRssMb: peak / 1024, imageBytesBound: cap * 4 * 1024 * 1024, peakImageBytes: heldBytes });
    process.stdout.write(`  ${String(cap).padStart(3)}   ${String(rows * 2).padStart(6)}   ${rate.median.toFixed(0).padStart(8)}   ${((rate.median / limit) * 100).toFixed(0).padStart(15)} %   ${String(sockets).padStart(18)}   ${(peak / 1024).toFixed(0).padStart(5)} MB   (${rate.runs} runs, ${rate.min.toFixed(0)}–${rate.max.toFixed(0)}/s)\n`);
  }
  writeJsonResult(results);
} finally {
  await sandbox.stop();
  gcs.stop();
}
