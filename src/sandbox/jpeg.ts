/**
 * A valid 1×1 baseline JPEG, with a comment segment naming the image so that every URL serves
 * different bytes (as a real image host would) while staying a decodable JPEG.
 */
const BASE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

export function sandboxJpeg(label: string): Buffer {
  const text = Buffer.from(label, 'utf8').subarray(0, 60_000);
  const comment = Buffer.alloc(4 + text.length);
  comment.writeUInt16BE(0xfffe, 0);
  comment.writeUInt16BE(text.length + 2, 2);
  text.copy(comment, 4);
  // SOI, then the comment, then the rest of the image.
  return Buffer.concat([BASE_JPEG.subarray(0, 2), comment, BASE_JPEG.subarray(2)]);
}
