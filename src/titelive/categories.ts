/** Titelive's bases: the API's name, and the seed scripts' name for the same thing. */
export const CATEGORIES = ['paper', 'music'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Each spelling and the base it names. */
export const CATEGORY_SEED_NAMES: Readonly<Record<string, Category>> = {
  paper: 'paper',
  music: 'music',
  LIVRE: 'paper',
  MUSIQUE_ENREGISTREE: 'music',
};

export const CATEGORY_SPELLINGS = Object.keys(CATEGORY_SEED_NAMES);

/** `paper|music` or the seed's `LIVRE|MUSIQUE_ENREGISTREE`; undefined for anything else. */
export function parseCategory(text: string): Category | undefined {
  return CATEGORY_SEED_NAMES[text] ?? CATEGORY_SEED_NAMES[text.trim()];
}
