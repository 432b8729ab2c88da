import { addDays } from '../runtime/calendar.js';
import type { Category } from '../titelive/categories.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';
import { ean13CheckDigit, hash32, pick } from './deterministic.js';
import { compactBookArticle, imagesUrlOf, legacyBookArticle, musicArticle, productShape, type ArticleFlavour, type ArticleValues, type Author } from './real-shapes.js';

/** A Unix time as Titelive's day-first date (in UTC). */
function dayFirst(seconds: number): string {
  const [year, month, date] = new Date(seconds * 1000).toISOString().slice(0, 10).split('-');
  return `${date}/${month}/${year}`;
}

export interface CatalogOptions {
  /** Products per category. */
  products: number;
  seed: number;
  /** The last day products are modified on (YYYY-MM-DD); usually today. */
  endDay: string;
  /** Products are modified over this many days ending at `endDay`. */
  days: number;
  /** Base URL of the image host, for `imagesUrl`. */
  imageBaseUrl: string;
}

/** Article numbers per product: EAN body = product index × 4 + article number (1…3). */
const ARTICLE_SLOTS = 4;
const CATEGORY_SALT: Record<Category, number> = { paper: 11, music: 23 };

const TITLE_WORDS = ["L'été", 'des', 'cœurs', 'Mémoires', "d'outre-tombe", 'Éloge', 'de', 'la', 'lenteur', 'Œuvres', 'complètes', 'Noël', 'à', 'Besançon', 'Crème', 'brûlée', 'Ça', 'ira', 'Forêt', 'où', "l'on", 'rêve', 'naïf', 'Goûter', 'Garçon'];
const FIRST_NAMES = ['Amélie', 'François', 'Hélène', 'Jérôme', 'Zoé', 'Loïc', 'Cécile', 'Benoît', 'Maëlle', 'Noémie'];
const LAST_NAMES = ['Lefèvre', 'Dupré', 'Château', 'Bénard', 'Gérard', 'Müller', 'Ødegaard', 'Nguyễn', 'Leroy', 'Œhmichen'];
/** Publisher, distributor and its code, as in the fixtures. */
const BOOK_TRADE = [
  ['ALLARY', 'INTERFORUM', '371'],
  ['BAYARD JEUNESSE', 'HACHETTE', '64'],
  ['FOLIO', 'SODIS', '21'],
  ['Gallimard', 'Sodis', '21'],
  ['Nathan', 'Interforum', '371'],
  ['Éditions du Seuil', 'Volumen', '185'],
] as const;
const MUSIC_TRADE = [
  ['BELIEVE', 'Believe', 'MCT'],
  ['WARNER MUSIC UK', 'Warner Music France', 'WAR'],
  ['Naïve', 'Believe', 'MCT'],
] as const;
const BOOK_SUPPORTS = [['T', 'Grand format'], ['P', 'Poche'], ['T', 'Grand format'], ['BL', 'Beau livre']] as const;
const MUSIC_SUPPORTS = [['38', 'CD Digipack', 'CD Dig.'], ['7', 'Album Vinyle', 'LP'], ['1', 'CD Album', 'CD']] as const;
const COLLECTIONS = ['Folio', 'Blanche', 'Points', 'Babel', 'J’ai lu', 'Annales Abc Du Bac ; Sujets & Corriges'];
const SERIES = [['Non précisée', '0'], ['l’Arabe du futur', '3540'], ['mortelle Adèle', '2170'], ['à la recherche du temps perdu', '7681']] as const;
const ARTISTS = ['Gims', 'Gorillaz', 'Zaz', 'Angèle', 'Stromae', 'Björk'];
const LABELS = ['PLAY TWO', 'WARNER MUSIC UK', 'Universal Music France', 'Naïve'];
const AVAILABILITY = [[1, 'Disponible'], [1, 'Disponible'], [2, 'À paraître'], [4, 'Épuisé'], [6, 'Réimpression en cours']] as const;
/** GTL trees with their HTML entities, as Titelive sends labels. */
const BOOK_GTLS = [
  { first: { '1': { code: '3000000', libelle: 'Bandes dessin&eacute;es / Comics / Mangas' }, '2': { code: '3020000', libelle: 'Bandes dessin&eacute;es' }, '3': { code: '3020300', libelle: 'Romans graphiques' } } },
  { first: { '1': { code: '1000000', libelle: 'Litt&eacute;rature' }, '2': { code: '1050000', libelle: 'R&eacute;cit' } } },
  { first: { '1': { code: '1000000', libelle: 'Litt&eacute;rature' }, '2': { code: '1030000', libelle: '&OElig;uvres classiques' }, '3': { code: '1030300', libelle: 'P&eacute;riode moderne (&lt; 1799)' } } },
  { first: { '1': { code: '12000000', libelle: 'Parascolaire' }, '2': { code: '12090000', libelle: 'Baccalaur&eacute;at g&eacute;n&eacute;ral (annales)' }, '3': { code: '12090400', libelle: 'Math&eacute;matiques' } } },
];
const MUSIC_GTLS = [
  { first: { '1': { code: '110000', libelle: 'Rap / Hip Hop' }, '2': { code: '110400', libelle: 'Rap / Hip Hop francophone' } } },
  { first: { '1': { code: '50000', libelle: 'Pop' }, '2': { code: '50300', libelle: 'Brit Pop' } } },
];
/**
 * Summaries: French text as the real ones are, accents, « », ©, CR LF and quotes, all within
 * Latin-1 (so are all the summaries of the public fixtures); HARD_SENTENCES add, to some, the
 * characters beyond it that a client must survive all the same.
 */
const SENTENCES = [
  'Un roman « fleuve » où l\'on suit trois générations d\'une famille bretonne.',
  'Elle traverse l\'Europe en 1942, et rien ne sera plus comme avant.\r\n',
  'Édition revue et augmentée, avec une préface inédite de l\'auteur.',
  'Enregistrement public au Théâtre des Champs-Élysées, remasterisé en 2023.',
  'Prix Goncourt des lycéens ; traduit dans vingt-deux langues. © Éditions Çà et là',
  '" Je n\'avais en réalité pas eu le choix. " 876 kilomètres plus loin, le constat est là.',
];
const HARD_SENTENCES = [
  'Cœur battant — l’été des mœurs d’une petite ville, vues par un enfant de dix ans 🎈.',
  'Œuvres complètes, édition « définitive » — avec l’index des noms.',
];

/**
 * A Titelive catalog computed from the product index and a seed, never stored: product i of a
 * category is the same object on every call and every machine. Products and articles have the
 * real API's fields, key order and value types (real-shapes.ts): about 130 article fields, flags
 * as "1" in some products and 1 in others, `taux_tva` as "5.50", `id` a number in /search and a
 * string in /ean, authors as a list or keyed by id, GTL labels with HTML entities. On top, the
 * hard cases a client must survive: missing and malformed modification dates, articles older
 * than any window, deleted EANs, "None" and "nan" in text, a price as text, long French text
 * with `’`, `«»`, `œ`, CR LF and emoji.
 */
export class SandboxCatalog {
  private readonly byDay = new Map<Category, Map<string, number[]>>();

  constructor(readonly options: CatalogOptions) {}

  /** The day product `index` was last modified. */
  productDay(category: Category, index: number): string {
    const offset = hash32(this.options.seed, CATEGORY_SALT[category], index, 1) % this.options.days;
    return addDays(this.options.endDay, -offset);
  }

  articleCount(category: Category, index: number): number {
    return 1 + (hash32(this.options.seed, CATEGORY_SALT[category], index, 2) % 3);
  }

  /** Indexes of the products modified from `fromDay` to `toDay`, both included, as Titelive's search. */
  productsModifiedBetween(category: Category, fromDay: string, toDay: string): number[] {
    const index = this.dayIndex(category);
    const found: number[] = [];
    for (let day = fromDay; day <= toDay; day = addDays(day, 1)) found.push(...(index.get(day) ?? []));
    return found;
  }

  ean(category: Category, index: number, articleNumber: number): string {
    const body = String(index * ARTICLE_SLOTS + articleNumber);
    const first12 = category === 'paper' ? `978${body.padStart(9, '0')}` : `370${body.padStart(9, '0')}`;
    return first12 + ean13CheckDigit(first12);
  }

  /** The product and article an EAN belongs to, if the catalog has it. */
  locate(category: Category, ean: string): { index: number; articleNumber: number } | undefined {
    const prefix = category === 'paper' ? '978' : '370';
    if (!/^\d{13}$/.test(ean) || !ean.startsWith(prefix) || ean13CheckDigit(ean.slice(0, 12)) !== ean[12]) return undefined;
    const body = Number(ean.slice(3, 12));
    const index = Math.floor(body / ARTICLE_SLOTS);
    const articleNumber = body % ARTICLE_SLOTS;
    if (index >= this.options.products || articleNumber < 1 || articleNumber > this.articleCount(category, index)) return undefined;
    return { index, articleNumber };
  }

  /** Deleted articles still show in searches but are gone from /ean answers. */
  isDeleted(category: Category, index: number, articleNumber: number): boolean {
    return hash32(this.options.seed, CATEGORY_SALT[category], index, articleNumber, 3) % 29 === 0;
  }

  /** Every EAN of the products modified in the window, deleted ones included (what a plan should find). */
  eansModifiedBetween(category: Category, fromDay: string, toDay: string): string[] {
    return this.productsModifiedBetween(category, fromDay, toDay).flatMap((index) =>
      Array.from({ length: this.articleCount(category, index) }, (_, j) => this.ean(category, index, j + 1)),
    );
  }

  /** The book shape of product `index` (see ArticleFlavour); music has one. */
  flavour(category: Category, index: number): ArticleFlavour {
    if (category === 'music') return 'music';
    const roll = hash32(this.options.seed, CATEGORY_SALT[category], index, 14) % 10;
    return roll < 5 ? 'legacy' : roll < 9 ? 'compact' : 'ebook';
  }

  /**
   * Product `index` as a /search page lists it (every article, deleted ones too, keyed "1","2",…;
   * `id` a number), or with `form: 'ean'` as an /ean answer gives it (articles as a list, `id` a
   * string, authors keyed by id).
   */
  product(category: Category, index: number, form: 'search' | 'ean' = 'search'): TiteliveProduct {
    const articles = Array.from({ length: this.articleCount(category, index) }, (_, j) => this.article(category, index, j + 1));
    return productShape(category, form, this.productValues(category, index), articles);
  }

  /**
   * What /ean gives for one EAN: its product with that article alone (as the real multiple-EAN
   * answer lists one entry per EAN), or undefined when the EAN is unknown or deleted.
   */
  eanEntry(category: Category, ean: string): TiteliveProduct | undefined {
    const located = this.locate(category, ean);
    if (!located || this.isDeleted(category, located.index, located.articleNumber)) return undefined;
    return productShape(category, 'ean', this.productValues(category, located.index), [this.article(category, located.index, located.articleNumber)]);
  }

  /** The URL of an article's cover, as its `imagesUrl` gives it. */
  imageUrl(category: Category, ean: string, side: 'recto' | 'verso'): string {
    const located = this.locate(category, ean);
    const flavour = located ? this.flavour(category, located.index) : category === 'music' ? 'music' : 'legacy';
    return imagesUrlOf({ category, ean, imageBase: this.options.imageBaseUrl }, flavour)[side]!;
  }

  /** The EAN and side an image path of this catalog's host names (`/541/9782370730541_1_75.jpg`, …), if any. */
  imageAt(pathUnderImages: string): { category: Category; ean: string; side: 'recto' | 'verso' } | undefined {
    const match = /^\/(?:\d{3}|is\/\d+)\/(\d{13})(_1_75|_4_75|_1_v|_1_m|_vd|_2|)\.jpg$/.exec(pathUnderImages);
    if (!match) return undefined;
    const ean = match[1]!;
    const category: Category = ean.startsWith('370') ? 'music' : 'paper';
    if (!this.locate(category, ean)) return undefined;
    const side = match[2] === '_4_75' || match[2] === '_2' ? 'verso' : 'recto';
    return { category, ean, side };
  }

  private productValues(category: Category, index: number): { id: number; titre: string; authors: Author[]; artiste: string; typeproduit: number } {
    const seed = this.options.seed;
    const salt = CATEGORY_SALT[category];
    const titre = Array.from({ length: 2 + (hash32(seed, salt, index, 4) % 4) }, (_, w) => pick(TITLE_WORDS, seed, salt, index, 5, w)).join(' ');
    const authors = Array.from({ length: 1 + (hash32(seed, salt, index, 6) % 2) }, (_, a) => ({
      id: String(1_000 + (hash32(seed, salt, index, 7, a) % 400_000)),
      name: `${pick(FIRST_NAMES, seed, salt, index, 8, a)} ${pick(LAST_NAMES, seed, salt, index, 7, a)}`,
    }));
    return { id: 1_000_000 + index, titre, authors, artiste: pick(ARTISTS, seed, salt, index, 9), typeproduit: this.flavour(category, index) === 'ebook' ? 1 : 0 };
  }

  private article(category: Category, index: number, articleNumber: number): Record<string, unknown> {
    const values = this.articleValues(category, index, articleNumber);
    switch (this.flavour(category, index)) {
      case 'music':
        return musicArticle(values);
      case 'compact':
        return compactBookArticle(values);
      case 'ebook':
        return legacyBookArticle(values, true);
      default:
        return legacyBookArticle(values, false);
    }
  }

  private articleValues(category: Category, index: number, articleNumber: number): ArticleValues {
    const seed = this.options.seed;
    const salt = CATEGORY_SALT[category];
    const ean = this.ean(category, index, articleNumber);
    const roll = hash32(seed, salt, index, articleNumber, 10);
    const day = this.productDay(category, index);
    const price = Math.round((5 + (roll % 4000) / 100) * 100) / 100;
    const [editeur, distributeur, codeDistributeur] = category === 'music' ? pick(MUSIC_TRADE, seed, salt, index, 9) : pick(BOOK_TRADE, seed, salt, index, 9);
    const support = category === 'music' ? pick(MUSIC_SUPPORTS, roll, 5) : pick(BOOK_SUPPORTS, roll, 5);
    const [serie, idserie] = pick(SERIES, seed, salt, index, 11);
    const published = 700_000_000 + (roll % 1_000_000_000);
    const created = published - 86_400 * (30 + (roll % 200));
    const [dispo, libelledispo] = pick(AVAILABILITY, roll, 6);
    const gtl = category === 'music' ? pick(MUSIC_GTLS, roll, 2) : roll % 31 === 0 ? null : pick(BOOK_GTLS, roll, 2);
    return {
      category,
      ean,
      roll,
      datemodification: this.articleDate(articleNumber, day, roll),
      dateparution: dayFirst(published),
      dateparutionentier: published,
      datecreation: dayFirst(created),
      datecreationentier: created,
      // A price as text now and then: both the seed and the flattening read it as a number.
      prix: roll % 41 === 0 ? price.toFixed(2) : price,
      resume: this.longText(category, index, articleNumber),
      editeur,
      distributeur,
      codeDistributeur,
      collection: roll % 6 === 0 ? 'None' : pick(COLLECTIONS, roll, 1),
      collectionNo: roll % 4 === 0 ? String(1 + (roll % 6000)) : '0',
      codesupport: support[0],
      libellesupport: support[1],
      libellesupportcourt: support[2] ?? support[1],
      pages: 48 + (roll % 900),
      poids: roll % 13 === 0 ? 'nan' : 100 + (roll % 900),
      longueur: 17 + (roll % 80) / 10,
      largeur: 10 + (roll % 70) / 10,
      epaisseur: 1 + (roll % 30) / 10,
      serie,
      idserie,
      codeClil: String(3000 + (roll % 800)),
      racineEditeur: String(200 + (hash32(seed, salt, index, 15) % 300_000)),
      codeEditeur: String(hash32(seed, salt, index, 16) % 30_000),
      idLectorat: pick([0, 0, 0, 5, 2], roll, 7),
      gtl,
      hasFront: roll % 11 !== 0,
      hasBack: roll % 3 === 0,
      iad: roll % 17 === 1 ? 1 : 0,
      dispo,
      libelledispo,
      nbmag: roll % 1000,
      artiste: pick(ARTISTS, seed, salt, index, 9),
      label: pick(LABELS, roll, 3),
      nbtracks: 8 + (roll % 12),
      imageBase: this.options.imageBaseUrl,
    };
  }

  /** Mostly the product's day; sometimes older than any window, missing, or malformed. */
  private articleDate(articleNumber: number, day: string, roll: number): string | undefined {
    if (roll % 17 === 0) return undefined;
    if (roll % 23 === 0) return pick(['31/02/2024', '2024-13-45', 'n/a', ''], roll, 4);
    const iso = articleNumber > 1 && roll % 5 === 0 ? addDays(day, -400) : day;
    const [year, month, date] = iso.split('-');
    return `${date}/${month}/${year}`;
  }

  private longText(category: Category, index: number, articleNumber: number): string {
    const roll = hash32(this.options.seed, CATEGORY_SALT[category], index, articleNumber, 12);
    const sentences = Array.from({ length: 2 + (roll % 10) }, (_, s) => pick(SENTENCES, this.options.seed, index, 13, s));
    if (roll % 6 === 0) sentences.push(pick(HARD_SENTENCES, roll, 14));
    return sentences.join(' ');
  }

  private dayIndex(category: Category): Map<string, number[]> {
    let index = this.byDay.get(category);
    if (!index) {
      index = new Map();
      for (let i = 0; i < this.options.products; i++) {
        const day = this.productDay(category, i);
        let list = index.get(day);
        if (!list) index.set(day, (list = []));
        list.push(i);
      }
      this.byDay.set(category, index);
    }
    return index;
  }
}

