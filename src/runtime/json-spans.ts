/**
 * A reader of JSON text kept as UTF-8 bytes that finds where each value is instead of building
 * it: a caller walks an object key by key and gets each value's kind and byte span, and makes JS
 * values only of the few it needs. What it reads it checks as strictly as JSON.parse does; on
 * anything else it throws NOT_PLAIN_JSON, and the caller falls back to JSON.parse. The bytes
 * must be valid UTF-8 (buffer.isUtf8), as JSON.parse's input is a string.
 */

export const JSON_STRING = 1;
export const JSON_NUMBER = 2;
export const JSON_TRUE = 3;
export const JSON_FALSE = 4;
export const JSON_NULL = 5;
export const JSON_OBJECT = 6;
export const JSON_ARRAY = 7;

/** Thrown for text this reader does not take; made once, as it is control flow, not a report. */
export const NOT_PLAIN_JSON = new Error('not plain JSON');

// JSON's structural bytes, and the bytes a number starts with or is made of.
const [QUOTE, BACKSLASH, COMMA, COLON] = [0x22, 0x5c, 0x2c, 0x3a];
const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY] = [0x7b, 0x7d, 0x5b, 0x5d];
const [MINUS, DOT, ZERO, NINE] = [0x2d, 0x2e, 0x30, 0x39];

/** Digits a double holds exactly whatever they are, so their value can be computed directly. */
const EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: EXACT_DIGITS + 1 }, (_, power) => 10 ** power);

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isDigit(byte: number): boolean {
  return byte >= ZERO && byte <= NINE;
}

export class JsonSpans {
  bytes: Uint8Array = new Uint8Array(0);
  /** Where reading is. */
  at = 0;

  /** The last value read: its kind (JSON_*) and span (a string's, inside its quotes). */
  kind = 0;
  start = 0;
  end = 0;
  /** A string with backslash escapes. */
  escaped = false;
  /** Written as JSON.stringify writes its value: no spaces, no optional escapes, numbers in shortest form. */
  canonical = true;
  /** A number's value when it has at most 15 digits and no exponent (NaN otherwise). */
  number = Number.NaN;
  /** A number without fraction or exponent. */
  integer = false;

  /** The last key read (nextKey), inside its quotes. */
  keyStart = 0;
  keyEnd = 0;
  keyEscaped = false;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.at = 0;
  }

  /** Expects `{`. */
  openObject(): void {
    this.expect(OPEN_OBJECT);
  }

  /** Expects `[`. */
  openArray(): void {
    this.expect(OPEN_ARRAY);
  }

  /** The next key of the object being read, and its colon; false at its end. `first`: none read yet. */
  nextKey(first: boolean): boolean {
    if (!this.nextMember(CLOSE_OBJECT, first)) return false;
    if (this.bytes[this.at] !== QUOTE) throw NOT_PLAIN_JSON;
    this.string();
    this.keyStart = this.start;
    this.keyEnd = this.end;
    this.keyEscaped = this.escaped;
    this.expect(COLON);
    return true;
  }

  /** Is there a next item in the array being read? `first`: none read yet. */
  nextItem(first: boolean): boolean {
    return this.nextMember(CLOSE_ARRAY, first);
  }

  /** Reads one value, nested ones whole (see kind, start, end and the flags). */
  value(): void {
    this.skipSpace();
    const byte = this.bytes[this.at];
    if (byte === QUOTE) this.string();
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) this.nested();
    else if (byte === MINUS || (byte !== undefined && isDigit(byte))) this.numberToken();
    else this.literal();
  }

  /** The next byte that is not a space, without reading it. */
  peek(): number | undefined {
    this.skipSpace();
    return this.bytes[this.at];
  }

  /** Nothing but spaces after the value read. */
  finish(): void {
    this.skipSpace();
    if (this.at !== this.bytes.length) throw NOT_PLAIN_JSON;
  }

  private nextMember(close: number, first: boolean): boolean {
    this.skipSpace();
    if (this.bytes[this.at] === close) {
      this.at += 1;
      return false;
    }
    if (!first) {
      if (this.bytes[this.at] !== COMMA) throw NOT_PLAIN_JSON;
      this.at += 1;
      this.skipSpace();
    }
    return true;
  }

  private expect(byte: number): void {
    this.skipSpace();
    if (this.bytes[this.at] !== byte) throw NOT_PLAIN_JSON;
    this.at += 1;
  }

  private skipSpace(): void {
    const bytes = this.bytes;
    let at = this.at;
    while (at < bytes.length && isSpace(bytes[at]!)) at++;
    this.at = at;
  }

  private string(): void {
    const bytes = this.bytes;
    let at = this.at + 1;
    let escaped = false;
    let canonical = true;
    for (;;) {
      const byte = bytes[at]!;
      // Most bytes are none of the few that matter: one test for them.
      if (byte > QUOTE && byte !== BACKSLASH) {
        at++;
        continue;
      }
      if (byte === QUOTE) break;
      if (byte === undefined || byte < 0x20) throw NOT_PLAIN_JSON;
      if (byte === BACKSLASH) {
        escaped = true;
        const next = bytes[at + 1];
        if (next === 0x75 /* u */) {
          for (let k = 2; k < 6; k++) if (!isHex(bytes[at + k])) throw NOT_PLAIN_JSON;
          canonical = false;
          at += 6;
          continue;
        }
        // JSON.stringify writes these as escapes, and `/` as it is.
        if (next === QUOTE || next === BACKSLASH || next === 0x62 || next === 0x66 || next === 0x6e || next === 0x72 || next === 0x74) at += 2;
        else if (next === 0x2f) {
          canonical = false;
          at += 2;
        } else throw NOT_PLAIN_JSON;
        continue;
      }
      at++;
    }
    this.kind = JSON_STRING;
    this.start = this.at + 1;
    this.end = at;
    this.at = at + 1;
    this.escaped = escaped;
    this.canonical = canonical;
  }

  private numberToken(): void {
    const bytes = this.bytes;
    const start = this.at;
    let at = start;
    const negative = bytes[at] === MINUS;
    if (negative) at++;
    let mantissa = 0;
    let digits = 0;
    if (bytes[at] === ZERO) {
      at++;
    } else {
      if (!isDigit(bytes[at] ?? 0)) throw NOT_PLAIN_JSON;
      while (isDigit(bytes[at] ?? 0)) {
        mantissa = mantissa * 10 + bytes[at]! - ZERO;
        digits++;
        at++;
      }
    }
    let fraction = 0;
    let lastFractionDigit = -1;
    if (bytes[at] === DOT) {
      at++;
      if (!isDigit(bytes[at] ?? 0)) throw NOT_PLAIN_JSON;
      while (isDigit(bytes[at] ?? 0)) {
        lastFractionDigit = bytes[at]! - ZERO;
        mantissa = mantissa * 10 + lastFractionDigit;
        if (digits > 0 || lastFractionDigit !== 0) digits++;
        fraction++;
        at++;
      }
    }
    let exponent = false;
    if (bytes[at] === 0x65 || bytes[at] === 0x45) {
      exponent = true;
      at++;
      if (bytes[at] === 0x2b || bytes[at] === MINUS) at++;
      if (!isDigit(bytes[at] ?? 0)) throw NOT_PLAIN_JSON;
      while (isDigit(bytes[at] ?? 0)) at++;
    }
    this.kind = JSON_NUMBER;
    this.start = start;
    this.end = at;
    this.at = at;
    this.integer = fraction === 0 && !exponent;
    // A quotient of two doubles that hold their decimal values exactly is the nearest double to
    // the decimal: the value JSON.parse gives.
    const exact = !exponent && digits <= EXACT_DIGITS && fraction <= EXACT_DIGITS;
    this.number = exact ? (negative ? -mantissa : mantissa) / POWERS_OF_TEN[fraction]! : Number.NaN;
    // Shortest form: what String(number) writes for a decimal of at most 15 digits.
    this.canonical = exact && !(negative && mantissa === 0) && lastFractionDigit !== 0 && (fraction === 0 || Math.abs(this.number) >= 1e-6);
  }

  private literal(): void {
    const bytes = this.bytes;
    const at = this.at;
    if (bytes[at] === 0x74 && bytes[at + 1] === 0x72 && bytes[at + 2] === 0x75 && bytes[at + 3] === 0x65) this.token(JSON_TRUE, 4);
    else if (bytes[at] === 0x66 && bytes[at + 1] === 0x61 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x73 && bytes[at + 4] === 0x65) this.token(JSON_FALSE, 5);
    else if (bytes[at] === 0x6e && bytes[at + 1] === 0x75 && bytes[at + 2] === 0x6c && bytes[at + 3] === 0x6c) this.token(JSON_NULL, 4);
    else throw NOT_PLAIN_JSON;
  }

  private token(kind: number, length: number): void {
    this.kind = kind;
    this.start = this.at;
    this.end = this.at + length;
    this.at += length;
    this.canonical = true;
  }

  /**
   * An object or array, whole. Canonical when it has no spaces, only canonical members, no
   * repeated key, and array-index keys ("0", "1", …) ascending before any other key, as a JS
   * object lists its keys.
   */
  private nested(): void {
    const start = this.at;
    const isObject = this.bytes[start] === OPEN_OBJECT;
    this.at += 1;
    let canonical = true;
    let first = true;
    let keys: number[] | undefined;
    let lastIndex = -1;
    let namedKey = false;
    for (;;) {
      if (isSpace(this.bytes[this.at] ?? 0)) {
        canonical = false;
        this.skipSpace();
      }
      const byte = this.bytes[this.at];
      if (byte === (isObject ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        this.at += 1;
        break;
      }
      if (!first) {
        if (byte !== COMMA) throw NOT_PLAIN_JSON;
        this.at += 1;
      }
      first = false;
      if (isObject) {
        if (isSpace(this.bytes[this.at] ?? 0)) canonical = false;
        this.skipSpace();
        if (this.bytes[this.at] !== QUOTE) throw NOT_PLAIN_JSON;
        this.string();
        const keyStart = this.start;
        const keyEnd = this.end;
        if (!this.canonical) canonical = false;
        else if (canonical) {
          const index = arrayIndex(this.bytes, keyStart, keyEnd);
          if (index === LONG_INDEX) canonical = false;
          else if (index >= 0) {
            if (namedKey || index <= lastIndex) canonical = false;
            lastIndex = index;
          } else {
            namedKey = true;
            keys ??= [];
            if (sameKeyBefore(this.bytes, keys, keyStart, keyEnd)) canonical = false;
            keys.push(keyStart, keyEnd);
          }
        }
        if (isSpace(this.bytes[this.at] ?? 0)) canonical = false;
        this.expect(COLON);
      }
      if (isSpace(this.bytes[this.at] ?? 0)) canonical = false;
      this.value();
      if (!this.canonical) canonical = false;
    }
    this.kind = isObject ? JSON_OBJECT : JSON_ARRAY;
    this.start = start;
    this.end = this.at;
    this.canonical = canonical;
  }
}

function isHex(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= ZERO && byte <= NINE) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

/** A key of 10 digits or more without a leading zero: maybe an array index, which a JS object lists first. */
const LONG_INDEX = -2;

/** A key that is an array index ("0", "17": digits, no leading zero): its value; -1 otherwise, or LONG_INDEX. */
function arrayIndex(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || (length > 1 && bytes[start] === ZERO)) return -1;
  let value = 0;
  for (let at = start; at < end; at++) {
    const byte = bytes[at]!;
    if (!isDigit(byte)) return -1;
    value = value * 10 + byte - ZERO;
  }
  return length > 9 ? LONG_INDEX : value;
}

/** Is the key at start..end one of `keys` (start, end pairs)? */
function sameKeyBefore(bytes: Uint8Array, keys: readonly number[], start: number, end: number): boolean {
  for (let k = 0; k < keys.length; k += 2) {
    if (keys[k + 1]! - keys[k]! === end - start && sameBytes(bytes, keys[k]!, start, end - start)) return true;
  }
  return false;
}

export function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}
