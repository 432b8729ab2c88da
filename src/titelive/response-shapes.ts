/**
 * Titelive answers in several shapes for the same thing; these functions turn each into a plain
 * list so the rest of the code sees one shape.
 */
export type TiteliveProduct = Record<string, unknown>;
export type TiteliveArticle = Record<string, unknown>;

/** A list, or an object keyed "0","1",… / "1","2",…, or a single object: always a list. */
export function asList(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.filter(isObject);
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
      return keys
        .sort((a, b) => Number(a) - Number(b))
        .map((key) => value[key])
        .filter(isObject);
    }
    return [value];
  }
  return [];
}

/** The products of a /search or /ean answer: `result` (list or keyed object) or `oeuvre`. */
export function productsOf(body: unknown): TiteliveProduct[] {
  if (!isObject(body)) return [];
  if ('result' in body) return asList(body.result);
  if ('oeuvre' in body) return asList(body.oeuvre);
  return [];
}

/** `nbreponses` of a /search answer, as a number (it sometimes comes as a string). */
export function totalOf(body: unknown): number {
  if (!isObject(body)) return 0;
  const total = Number(body.nbreponses);
  return Number.isFinite(total) && total > 0 ? Math.floor(total) : 0;
}

/** A product's articles, whether `article` is a list or an object keyed "1","2",…. */
export function articlesOf(product: TiteliveProduct): TiteliveArticle[] {
  return asList(product.article);
}

/** An article's EAN as a string of digits, or undefined when it has none. */
export function eanOf(article: TiteliveArticle): string | undefined {
  const value = article.gencod;
  if (typeof value === 'number' && Number.isFinite(value)) return String(Math.trunc(value)).padStart(13, '0');
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return /^\d{8,14}$/.test(text) ? text : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
