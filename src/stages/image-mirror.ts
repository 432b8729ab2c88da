import { v5 as uuidv5 } from 'uuid';
import { HttpClient, describeUrl, type AttemptHold } from '../runtime/http/http-client.js';
import { ResponseTooLargeError } from '../runtime/http/node-transport.js';
import { admitUrl, HostNotAllowedError, type AllowedHost } from '../runtime/http/host-allowlist.js';
import { checkImage } from '../runtime/image-bytes.js';
import { transferredBytesTotal } from '../runtime/metrics.js';
import type { Semaphore } from '../runtime/semaphore.js';
import type { ObjectStore } from '../runtime/storage/object-store.js';
import { failed, hostNotAllowed, outcomeOfStatus, unavailable, type ImageOutcome } from './image-outcome.js';

/* One image of the images stage: its name in the mirror, and how it gets there. */

/** The mirror's name for an image: UUIDv5 of its URL, so a URL is stored once whoever meets it. */
export function objectNameFor(url: string): string {
  return uuidv5(url, uuidv5.URL);
}

export interface MirrorContext {
  store: ObjectStore;
  http: HttpClient;
  /** Image bytes in memory: an attempt reserves the size limit, and keeps only its real size once known. */
  imageBytes: Semaphore;
  maxBytes: number;
  allowedHosts: readonly AllowedHost[];
  inMemory: { bytes: number; peak: number };
  signal: AbortSignal;
}

/** One image: already in the mirror, or downloaded, checked and stored; an outcome either way. */
export async function mirrorImage(url: string, { store, http, imageBytes, maxBytes, allowedHosts, inMemory, signal }: MirrorContext): Promise<ImageOutcome> {
  if (!URL.canParse(url)) return unavailable('not a URL');
  const admission = admitUrl(allowedHosts, new URL(url));
  // Refused before anything, the mirror's existence check included: nothing about this URL is asked of anyone.
  if (!admission.allowed) return hostNotAllowed(admission.reason);
  const name = objectNameFor(url);
  const label = `image ${describeUrl(url)}`;
  let reserved = 0;
  let holding = 0;
  // Each attempt reserves the size limit; a retry's wait gives it back.
  const hold: AttemptHold = {
    acquire: async () => {
      await imageBytes.acquire(maxBytes);
      reserved = maxBytes;
    },
    release: () => {
      imageBytes.release(reserved);
      reserved = 0;
    },
  };
  try {
    if (await store.exists(name, signal)) return { kind: 'already_present', status: 'already_present' };
    const response = await http.request({ url, responseType: 'buffer', maxBytes, signal, label, hold, allowedHosts });
    imageBytes.release(reserved - response.body.length);
    reserved = response.body.length;
    holding = reserved;
    inMemory.bytes += holding;
    inMemory.peak = Math.max(inMemory.peak, inMemory.bytes);
    if (response.statusCode !== 200) return outcomeOfStatus(response.statusCode);
    const check = checkImage(headerText(response.headers['content-type']), response.body);
    if (!check.ok) return unavailable(check.reason);
    transferredBytesTotal.inc({ stage: 'images', direction: 'downloaded' }, response.body.length);
    const created = await store.createIfAbsent(name, response.body, check.contentType, signal);
    if (created === 'created') transferredBytesTotal.inc({ stage: 'images', direction: 'uploaded' }, response.body.length);
    return created === 'created' ? { kind: 'uploaded', status: 'uploaded' } : { kind: 'already_present', status: 'already_present' };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // The row already names the URL: the status keeps only what went wrong.
    const message = error instanceof Error ? error.message : String(error);
    const reason = message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;
    const cause = error instanceof Error ? error.cause : undefined;
    if (error instanceof HostNotAllowedError || cause instanceof HostNotAllowedError) return hostNotAllowed((cause instanceof HostNotAllowedError ? cause : (error as Error)).message);
    const tooLarge = error instanceof ResponseTooLargeError || cause instanceof ResponseTooLargeError;
    return tooLarge ? unavailable(reason) : failed(reason);
  } finally {
    imageBytes.release(reserved);
    inMemory.bytes -= holding;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
