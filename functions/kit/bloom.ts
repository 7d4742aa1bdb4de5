/**
 * A Bloom filter over strings: "definitely not added" or "maybe added", in a fixed number of
 * bits. The rebuild uses it to skip reading items it never wrote (most items of a fresh version)
 * while keeping memory bounded whatever the size of the log.
 *
 * @example
 * ```ts
 * const seen = new BloomFilter(1 << 20);
 * seen.add("order-summary#v2#o-1\u0000view");
 * seen.mayContain("order-summary#v2#o-1\u0000view"); // true
 * ```
 */
export class BloomFilter {
  readonly #bits: Uint32Array;
  readonly #size: number;

  /** `bits`: the filter's size (rounded up to 32); 16 bits per expected item give ~0.3 % false positives. */
  constructor(bits: number) {
    this.#bits = new Uint32Array(Math.ceil(bits / 32));
    this.#size = this.#bits.length * 32;
  }

  add(value: string): void {
    this.#hash(value);
    for (let k = 0; k < 4; k++) {
      const bit = this.#position(k);
      this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] ?? 0) | (1 << (bit & 31));
    }
  }

  mayContain(value: string): boolean {
    this.#hash(value);
    for (let k = 0; k < 4; k++) {
      const bit = this.#position(k);
      if (((this.#bits[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  // The two hashes of the value last hashed: no array per call (a rebuild asks millions of times).
  #h1 = 0;
  #h2 = 0;

  /** Two FNV-1a variants of `value`, for four positions by double hashing (Kirsch–Mitzenmacher). */
  #hash(value: string): void {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    this.#h1 = h1;
    this.#h2 = h2;
  }

  #position(k: number): number {
    return ((this.#h1 + Math.imul(k, this.#h2 | 1)) >>> 0) % this.#size;
  }
}
