import { parseDayFirst } from './day-first-dates.js';
import type { TiteliveArticle } from './response-shapes.js';

/**
 * The seed's rule: keep an article modified on or after the window start; keep it too when its
 * `datemodification` is missing or unparseable (better a row too many than a change lost).
 */
export function keepArticle(article: TiteliveArticle, windowStart: string): boolean {
  const modified = parseDayFirst(article.datemodification);
  return modified === undefined || modified >= windowStart;
}
