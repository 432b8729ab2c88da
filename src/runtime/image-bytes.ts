/** Image formats accepted for the mirror, recognised by their first bytes. */
export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp';

const CONTENT_TYPES: Record<ImageType, string> = { jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp' };

export function detectImageType(bytes: Uint8Array): ImageType | undefined {
  const starts = (...values: number[]) => values.every((value, index) => bytes[index] === value);
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'webp';
  return undefined;
}

/**
 * Why a download is not an image to mirror, or undefined when it is one: the Content-Type must
 * say image/*, the bytes must start like a JPEG, PNG, GIF or WebP file, and be non-empty.
 * Returns the content type to store otherwise (from the bytes, which are what readers get).
 */
export function checkImage(contentType: string | undefined, bytes: Uint8Array): { ok: true; contentType: string } | { ok: false; reason: string } {
  const declared = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!declared.startsWith('image/')) return { ok: false, reason: `not an image (Content-Type ${declared || 'missing'})` };
  if (bytes.length === 0) return { ok: false, reason: 'empty body' };
  const type = detectImageType(bytes);
  if (!type) return { ok: false, reason: `not a JPEG, PNG, GIF or WebP file (Content-Type ${declared})` };
  return { ok: true, contentType: CONTENT_TYPES[type] };
}
