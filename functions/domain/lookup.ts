/**
 * Reads a record by a key that came from outside (a product id in a command). Only own keys
 * count, so ids such as `constructor` or `__proto__` are unknown rather than Object's members.
 *
 * @example
 * ```ts
 * lookup({ "p-1": 1 }, "p-1"); // 1
 * lookup({ "p-1": 1 }, "constructor"); // undefined
 * ```
 */
export function lookup<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
