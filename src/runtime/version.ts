import { readFileSync } from 'node:fs';

/** The product version from package.json, recorded in every manifest. */
export const PRODUCT_VERSION: string = (() => {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
