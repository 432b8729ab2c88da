import { addDays } from '../runtime/calendar.js';
import type { Category } from '../titelive/categories.js';
import type { TiteliveProduct } from '../titelive/response-shapes.js';
import { ean13CheckDigit, hash32, pick } from './deterministic.js';

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

const TITLE_WORDS = ['L’été', 'des', 'cœurs', 'Mémoires', 'd’outre-tombe', 'Éloge', 'de', 'la', 'lenteur', 'Œuvres', 'complètes', 'Noël', 'à', 'Besançon', 'Crème', 'brûlée', 'Ça', 'ira', 'Forêt', 'où', 'l’on', 'rêve', 'naïf', 'Goûter', 'Garçon'];
const FIRST_NAMES = ['Amélie', 'François', 'Hélène', 'Jérôme', 'Zoé', 'Loïc', 'Cécile', 'Benoît', 'Maëlle', 'Noémie'];
const LAST_NAMES = ['Lefèvre', 'Dupré', 'Château', 'Bénard', 'Gérard', 'Müller', 'Ødegaard', 'Nguyễn', 'Leroy', 'Œhmichen'];
const PUBLISHERS = ['Éditions du Seuil', 'Gallimard', 'Flammarion', 'Actes Sud', 'Éditions de Minuit', 'Universal Music France', 'Naïve'];
const SENTENCES = [
  'Un roman « fleuve » où l’on suit trois générations d’une famille bretonne.',
  'Cœur battant, elle traverse l’Europe en 1942 — et rien ne sera plus comme avant.',
  'Édition revue et augmentée, avec une préface inédite de l’auteur.',
  'Les mœurs d’une petite ville de province, vues par un enfant de dix ans 🎈.',
  'Enregistrement public au Théâtre des Champs-Élysées, remasterisé en 2023.',
  'Prix Goncourt des lycéens ; traduit dans vingt-deux langues.',
];

/**
 * A Titelive-like catalog computed from the product index and a seed, never stored: product i
 * of a category is the same object on every call and every machine. It has the odd shapes real
 * answers have: articles as a list or as an object keyed "1","2",…, authors as a list or an
 * object, numbers as strings, missing and malformed dates, long French text and emoji.
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

  product(category: Category, index: number, options: { withoutDeleted?: boolean } = {}): TiteliveProduct {
    const seed = this.options.seed;
    const salt = CATEGORY_SALT[category];
    const day = this.productDay(category, index);
    const title = Array.from({ length: 2 + (hash32(seed, salt, index, 4) % 4) }, (_, w) => pick(TITLE_WORDS, seed, salt, index, 5, w)).join(' ');
    const authors = Array.from({ length: 1 + (hash32(seed, salt, index, 6) % 2) }, (_, a) => ({
      nom: pick(LAST_NAMES, seed, salt, index, 7, a),
      prenom: pick(FIRST_NAMES, seed, salt, index, 8, a),
      role: category === 'paper' ? 'Auteur' : 'Interprète',
    }));
    const articles: Record<string, unknown>[] = [];
    for (let j = 1; j <= this.articleCount(category, index); j++) {
      if (options.withoutDeleted && this.isDeleted(category, index, j)) continue;
      articles.push(this.article(category, index, j, day));
    }
    const asList = index % 7 === 3;
    return {
      id: 1_000_000 + index,
      titre: title,
      auteurs_multi: index % 5 === 0 ? Object.fromEntries(authors.map((author, a) => [String(a + 1), author])) : authors,
      auteurs: authors.map((author) => `${author.prenom} ${author.nom}`).join(', '),
      resume: this.longText(category, index),
      editeur: pick(PUBLISHERS, seed, salt, index, 9),
      langueiso: 'fre',
      nb_articles: String(articles.length),
      article: asList ? articles : Object.fromEntries(articles.map((article, a) => [String(a + 1), article])),
    };
  }

  private article(category: Category, index: number, articleNumber: number, day: string): Record<string, unknown> {
    const seed = this.options.seed;
    const salt = CATEGORY_SALT[category];
    const ean = this.ean(category, index, articleNumber);
    const roll = hash32(seed, salt, index, articleNumber, 10);
    const hasBack = roll % 3 === 0;
    const hasFront = roll % 11 !== 0;
    const price = 5 + (roll % 4000) / 100;
    const vat = category === 'paper' ? 5.5 : 20;
    const images = `${this.options.imageBaseUrl}/${category}/${ean}`;
    const modified = this.articleDate(index, articleNumber, day, roll);
    return {
      gencod: ean,
      // Missing altogether on some articles, as in real answers.
      ...(modified === undefined ? {} : { datemodification: modified }),
      prix: roll % 9 === 0 ? price.toFixed(2) : price,
      taux_tva: roll % 4 === 0 ? String(vat) : vat,
      image: hasFront ? 1 : 0,
      image_4: hasBack ? 1 : 0,
      iad: roll % 2,
      typeproduit: category === 'paper' ? 1 : roll % 5 === 0 ? '2' : 2,
      dispo: 1 + (roll % 4),
      libelledispo: pick(['Disponible', 'Épuisé', 'À paraître', 'Réimpression en cours'], roll),
      dateparution: `${String(1 + (roll % 28)).padStart(2, '0')}/${String(1 + (roll % 12)).padStart(2, '0')}/${2000 + (roll % 25)}`,
      editeur: pick(PUBLISHERS, seed, salt, index, 9),
      collection: roll % 6 === 0 ? 'None' : pick(['Folio', 'Points', 'Babel', 'J’ai lu'], roll, 1),
      poids: roll % 13 === 0 ? 'nan' : 100 + (roll % 900),
      // Some articles give a back-cover URL while their flag says there is none, as Titelive does.
      imagesUrl: { recto: hasFront ? `${images}-recto.jpg` : '', verso: hasBack || roll % 7 === 3 ? `${images}-verso.jpg` : '' },
      gtl: { first: { '1': { code: `0${1 + (roll % 9)}0000`, libelle: pick(['Littérature', 'Jeunesse', 'Musique classique', 'Bande dessinée'], roll, 2) } } },
      ...(category === 'music' ? { nb_support: 1 + (roll % 3), label: pick(PUBLISHERS, roll, 3) } : { nbpages: 80 + (roll % 700) }),
    };
  }

  /** Mostly the product's day; sometimes older than any window, missing, or malformed. */
  private articleDate(index: number, articleNumber: number, day: string, roll: number): string | undefined {
    if (roll % 17 === 0) return undefined;
    if (roll % 23 === 0) return pick(['31/02/2024', '2024-13-45', 'n/a', ''], roll, 4);
    const iso = articleNumber > 1 && roll % 5 === 0 ? addDays(day, -400) : day;
    const [year, month, date] = iso.split('-');
    return `${date}/${month}/${year}`;
  }

  private longText(category: Category, index: number): string {
    const count = 3 + (hash32(this.options.seed, CATEGORY_SALT[category], index, 12) % 12);
    return Array.from({ length: count }, (_, s) => pick(SENTENCES, this.options.seed, index, 13, s)).join(' ');
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

