import type { ImageSideSource } from '../source.js';

/** The two covers Titelive gives per article. */
export const IMAGE_SIDES = ['recto', 'verso'] as const;

export type ImageSide = (typeof IMAGE_SIDES)[number];

/** The flag column that says whether a side has an image: `image` for the front, `image_4` for the back. */
const FLAG_COLUMNS: Record<ImageSide, string> = { recto: 'article_image', verso: 'article_image_4' };

/** The products columns the images stage reads: the key, the URLs and the flags. */
export const IMAGE_COLUMNS = ['article_gencod', 'article_imagesUrl', ...Object.values(FLAG_COLUMNS)];

/** Each side's URL and flag (flaggedOff: its flag is explicitly 0, Titelive says no image whatever the URL). */
export function imageSidesOf(row: Record<string, unknown>): ImageSideSource[] {
  const urls = parseImagesUrl(row.article_imagesUrl);
  return IMAGE_SIDES.map((side) => sideSource(row, side, urls));
}

/**
 * A side's URL and flag from a `products` row: `article_imagesUrl` is the JSON text of an object
 * such as {"recto": "https://…", "verso": "https://…"}; an empty string counts as no URL.
 */
export function sideSource(row: Record<string, unknown>, side: ImageSide, urls = parseImagesUrl(row.article_imagesUrl)): ImageSideSource {
  const url = urls[side];
  const flag = row[FLAG_COLUMNS[side]];
  return {
    url: typeof url === 'string' && url.trim() !== '' ? url.trim() : null,
    flaggedOff: flag !== null && flag !== undefined && Number(flag) === 0,
  };
}

export function parseImagesUrl(value: unknown): Record<string, unknown> {
  if (typeof value !== 'string' || value === '') return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
