/**
 * How one image ended. `failed` is transient (network, timeouts, 5xx left after retries, a
 * storage error): it counts toward --max-failure-ratio and a rerun may fix it. `unavailable` is
 * permanent at the source (the image is gone, is not an image, or is too large): it is recorded
 * and counted apart, and a rerun tries it again all the same. `host_not_allowed`: the URL, or a
 * redirect, is off --image-hosts; nothing was requested from it.
 */
export type ImageOutcomeKind = 'uploaded' | 'already_present' | 'failed' | 'unavailable' | 'host_not_allowed';

export interface ImageOutcome {
  kind: ImageOutcomeKind;
  /** What the row's `<side>_upload_status` says: the kind, or `failed: <reason>` for the failure kinds. */
  status: string;
  /** More than the status says (which hop was refused, and why), for the log and the manifest. */
  detail?: string;
}

/** Answers that say the image is not there and will not be by retrying. */
const GONE_STATUSES = new Set([404, 410]);

/** A download answered with a status other than 200. */
export function outcomeOfStatus(statusCode: number): ImageOutcome {
  return { kind: GONE_STATUSES.has(statusCode) ? 'unavailable' : 'failed', status: `failed: HTTP ${statusCode}` };
}

/** A download that is not an image, or is larger than the limit: the source's doing. */
export function unavailable(reason: string): ImageOutcome {
  return { kind: 'unavailable', status: `failed: ${reason}` };
}

/** Anything that may pass: the network, the image host or the mirror. */
export function failed(reason: string): ImageOutcome {
  return { kind: 'failed', status: `failed: ${reason}` };
}

/** A URL or redirect off --image-hosts: the status is the same for all, the detail says which hop and why. */
export function hostNotAllowed(detail: string): ImageOutcome {
  return { kind: 'host_not_allowed', status: 'failed: host not allowed', detail };
}
