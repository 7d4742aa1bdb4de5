/** A line of an order or a reservation: which product, how many. */
export interface Line {
  readonly productId: string;
  readonly quantity: number;
}

/**
 * Merges lines for the same product, keeping the order in which products first appear. Checks
 * against stock must use merged lines: two lines of 3 need 6 units, not 3 twice.
 *
 * @example
 * ```ts
 * mergeLines([{ productId: "p-1", quantity: 2 }, { productId: "p-2", quantity: 1 },
 *             { productId: "p-1", quantity: 3 }]);
 * // [{ productId: "p-1", quantity: 5 }, { productId: "p-2", quantity: 1 }]
 * ```
 */
export function mergeLines(lines: readonly Line[]): Line[] {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of lines) {
    totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  }
  return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * The quantity of one product across lines (0 when absent).
 *
 * @example
 * ```ts
 * quantityOf([{ productId: "p-1", quantity: 2 }, { productId: "p-1", quantity: 1 }], "p-1"); // 3
 * ```
 */
export function quantityOf(lines: readonly Line[], productId: string): number {
  let total = 0;
  for (const line of lines) if (line.productId === productId) total += line.quantity;
  return total;
}

/**
 * Distinct product ids, in first-seen order; for reasons that name the products involved.
 *
 * @example
 * ```ts
 * distinctIds(["p-2", "p-1", "p-2"]); // ["p-2", "p-1"]
 * ```
 */
export function distinctIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}
