import { LogAdminError, LogAdminTimeoutError } from "./errors.ts";

/**
 * How long an admin operation (offsets, metadata, topic changes) may take before it fails. The
 * clients' own request timeouts do not bound a call to a broker that accepts connections but
 * never answers (a frozen process): a rebuild waited there without a line.
 */
export const ADMIN_DEADLINE_MS = 60_000;

/**
 * Runs `work` and fails with {@link LogAdminTimeoutError} if it has not settled within `ms`.
 * The call itself is not cancelled (the clients cannot); its late answer is ignored.
 *
 * @example
 * ```ts
 * const ends = await withinDeadline(() => admin.listOffsets(query), ADMIN_DEADLINE_MS);
 * ```
 */
export async function withinDeadline<T>(work: () => Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LogAdminTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One admin operation of a log client: bounded by `deadlineMs`, and whatever fails becomes a
 * {@link LogAdminError} naming the operation and its subject (both adapters call this).
 *
 * @example
 * ```ts
 * await adminCall("list offsets of", topic, () => admin.listOffsets(query), ADMIN_DEADLINE_MS);
 * ```
 */
export async function adminCall<T>(
  operation: string,
  subject: string,
  work: () => Promise<T>,
  deadlineMs: number,
): Promise<T> {
  try {
    return await withinDeadline(work, deadlineMs);
  } catch (error) {
    throw new LogAdminError(operation, subject, { cause: error });
  }
}
