/**
 * Whether a Secret Manager failure is the configuration's (exit 2: the Job fails at once, a retry
 * would see the same) or may pass (exit 1: Kubernetes retries the pod). By gRPC status code:
 * the secret or its version is missing or disabled, access is denied, or the name is malformed;
 * anything else (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, no code…) is transient.
 */
export function isConfigFailure(grpcCode: number | undefined): boolean {
  return grpcCode !== undefined && CONFIG_CODES.has(grpcCode);
}

/** INVALID_ARGUMENT 3, NOT_FOUND 5, PERMISSION_DENIED 7, FAILED_PRECONDITION 9, UNAUTHENTICATED 16. */
const CONFIG_CODES = new Set([3, 5, 7, 9, 16]);
