/**
 * Header names and the header values that repeat (type, source, version, content type) decoded
 * once and then found again by their bytes. A rebuild turns ~25 header `Buffer`s per record into
 * strings; each `toString` is a call into C++ that costs more than hashing a dozen bytes here, and
 * the same few dozen strings come back millions of times.
 */

/** Longer byte strings are decoded as usual (ids, times: they do not repeat). */
const MAX_BYTES = 64;
/** Distinct strings remembered; past it new ones are decoded as usual (memory stays bounded). */
const MAX_ENTRIES = 4_096;
const remembered = new Map<number, string>();

/**
 * The UTF-8 text of `bytes[start, end)`: for short ASCII byte strings the remembered string when
 * the same bytes were seen before, else a new one (remembered while there is room).
 *
 * @example
 * ```ts
 * internedText(Buffer.from("ce_type"), 0, 7); // "ce_type", the same string every time
 * ```
 */
export function internedText(bytes: Buffer, start = 0, end = bytes.length): string {
  const length = end - start;
  if (length > MAX_BYTES) return bytes.toString("utf8", start, end);
  let hash = 0x811c9dc5 ^ length;
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x80) return bytes.toString("utf8", start, end);
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const known = remembered.get(hash);
  if (known !== undefined && sameText(known, bytes, start, length)) return known;
  const text = bytes.toString("latin1", start, end);
  if (known === undefined && remembered.size < MAX_ENTRIES) remembered.set(hash, text);
  return text;
}

function sameText(text: string, bytes: Buffer, start: number, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) {
    if (text.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}
