import { addDays, daysBetween } from '../runtime/calendar.js';
import type { Category } from '../titelive/categories.js';
import { articlesOf, type TiteliveProduct } from '../titelive/response-shapes.js';
import type { SandboxCatalog } from './catalog.js';
import { hash32, unit } from './deterministic.js';

/**
 * How the catalogue changes from day to day, as the real one does: products modified (some on
 * several days in a row), created and deleted, and some changes shown by the API only days after
 * their modification date (the pass Culture team re-searches 7 days for that reason).
 */
export interface HistoryOptions {
  /** The first day anything changes; the catalogue before it is the static one. */
  start: string;
  /** Share of products modified on a day. */
  modifyRate: number;
  /** New products a day, as a share of the starting catalogue. */
  createRate: number;
  /** Share of products that lose an article on a day. */
  deleteRate: number;
  /** Share of products modified on most days (several days in a row). */
  hotShare: number;
  /** Share of changes the API shows late, 1 to maxLateDays days after their modification date. */
  lateShare: number;
  maxLateDays: number;
  /** Days the history may run for (sizes the room kept for created products). */
  maxDays: number;
}

export const DEFAULT_HISTORY: Omit<HistoryOptions, 'start'> = { modifyRate: 0.04, createRate: 0.01, deleteRate: 0.003, hotShare: 0.01, lateShare: 0.05, maxLateDays: 5, maxDays: 120 };

/** What one EAN is, as the API shows it at the clock: the facts a copy must equal. */
export interface TruthEntry {
  ean: string;
  titre: string;
  prix: number | null;
  datemodification: string | null;
  deleted: boolean;
}

export interface Change {
  day: string;
  visibleOn: string;
  kind: 'create' | 'modify' | 'delete';
  /** 0: every article (and the title); else the one article touched. */
  article: number;
}

interface ProductState {
  exists: boolean;
  /** The day the search lists it under (its latest visible change, else its static day). */
  day: string;
  /** The day of the latest visible change of the whole product (its title), if any. */
  titleDay: string | undefined;
  /** Per article number: the day of its latest visible change, and whether it is deleted. */
  articles: Map<number, { day: string; deleted: boolean }>;
}

const SALT: Record<Category, number> = { paper: 31, music: 37 };

/**
 * The catalogue seen through a clock: the state the API shows on day `clock` is the static
 * catalogue plus every change made before that day and visible by then. Everything follows
 * from the product index, the day and the seed, so any clock can be asked in any order.
 */
export class CatalogHistory {
  private clock: string;
  private readonly states = new Map<string, ProductState[]>();

  constructor(
    private readonly catalog: SandboxCatalog,
    readonly baseProducts: number,
    private readonly options: HistoryOptions,
    clock: string,
  ) {
    this.clock = clock;
  }

  /** Products created a day; their indexes follow the starting catalogue's. */
  get createdPerDay(): number {
    return Math.round(this.baseProducts * this.options.createRate);
  }

  /** The products the catalog object must have room for. */
  static capacity(baseProducts: number, options: Omit<HistoryOptions, 'start'>): number {
    return baseProducts + Math.round(baseProducts * options.createRate) * options.maxDays;
  }

  get today(): string {
    return this.clock;
  }

  setClock(day: string): void {
    this.clock = day;
  }

  productsModifiedBetween(category: Category, fromDay: string, toDay: string): number[] {
    const found: number[] = [];
    for (const [index, state] of this.statesAt(category).entries()) if (state.exists && state.day >= fromDay && state.day <= toDay) found.push(index);
    return found;
  }

  product(category: Category, index: number, form: 'search' | 'ean' = 'search'): TiteliveProduct {
    return this.patch(category, index, this.catalog.product(category, index, form));
  }

  eanEntry(category: Category, ean: string): TiteliveProduct | undefined {
    const located = this.catalog.locate(category, ean);
    if (!located) return undefined;
    const state = this.statesAt(category)[located.index];
    if (!state?.exists || state.articles.get(located.articleNumber)?.deleted) return undefined;
    const entry = this.catalog.eanEntry(category, ean);
    return entry && this.patch(category, located.index, entry);
  }

  /** Every EAN of every product that exists at the clock, deleted ones included, as the API shows it. */
  truth(category: Category): TruthEntry[] {
    const entries: TruthEntry[] = [];
    for (const [index, state] of this.statesAt(category).entries()) {
      if (!state.exists) continue;
      const product = this.product(category, index, 'search');
      for (const article of articlesOf(product)) {
        const ean = String(article.gencod);
        const located = this.catalog.locate(category, ean)!;
        const deleted = this.catalog.isDeleted(category, located.index, located.articleNumber) || state.articles.get(located.articleNumber)?.deleted === true;
        const prix = article.prix === undefined ? null : Number(article.prix);
        entries.push({ ean, titre: String(product.titre), prix: Number.isNaN(prix) ? null : prix, datemodification: typeof article.datemodification === 'string' ? article.datemodification : null, deleted });
      }
    }
    return entries;
  }

  /** The changes of product `index` made before the clock (visible or not yet). */
  changes(category: Category, index: number): Change[] {
    const { start, modifyRate, deleteRate, hotShare, lateShare, maxLateDays } = this.options;
    const seed = this.catalog.options.seed;
    const salt = SALT[category];
    const changes: Change[] = [];
    const created = index >= this.baseProducts ? addDays(start, Math.floor((index - this.baseProducts) / Math.max(1, this.createdPerDay))) : undefined;
    const hot = unit(seed, salt, index, 1) < hotShare;
    const articles = this.catalog.articleCount(category, index);
    const days = daysBetween(created ?? start, this.clock);
    for (const day of days) {
      const roll = unit(seed, salt, index, 2, dayNumber(day));
      const late = unit(seed, salt, index, dayNumber(day), 3) < lateShare ? 1 + (hash32(seed, salt, index, dayNumber(day), 4) % maxLateDays) : 0;
      const visibleOn = addDays(day, late + 1);
      const touched = 1 + (hash32(seed, salt, index, dayNumber(day), 5) % articles);
      if (day === created) changes.push({ day, visibleOn, kind: 'create', article: 0 });
      else if (roll < (hot ? 0.6 : modifyRate)) changes.push({ day, visibleOn, kind: 'modify', article: unit(seed, salt, index, dayNumber(day), 6) < 0.7 ? 0 : touched });
      else if (roll < (hot ? 0.6 : modifyRate) + deleteRate) changes.push({ day, visibleOn, kind: 'delete', article: touched });
    }
    return changes;
  }

  private statesAt(category: Category): ProductState[] {
    const key = `${category}@${this.clock}`;
    let states = this.states.get(key);
    if (!states) {
      states = [];
      const total = this.baseProducts + this.createdPerDay * Math.max(0, daysBetween(this.options.start, this.clock).length);
      for (let index = 0; index < Math.min(total, this.catalog.options.products); index++) states.push(this.stateOf(category, index));
      this.states.clear();
      this.states.set(key, states);
    }
    return states;
  }

  private stateOf(category: Category, index: number): ProductState {
    const base = index < this.baseProducts;
    const state: ProductState = { exists: base, day: base ? this.catalog.productDay(category, index) : this.options.start, titleDay: undefined, articles: new Map() };
    for (const change of this.changes(category, index)) {
      if (change.visibleOn > this.clock) continue;
      state.day = change.day > state.day || change.kind === 'create' ? change.day : state.day;
      if (change.kind === 'create') {
        state.exists = true;
        for (let number = 1; number <= this.catalog.articleCount(category, index); number++) state.articles.set(number, { day: change.day, deleted: false });
        continue;
      }
      const numbers = change.article === 0 ? Array.from({ length: this.catalog.articleCount(category, index) }, (_, j) => j + 1) : [change.article];
      if (change.article === 0 && change.kind === 'modify' && (state.titleDay === undefined || change.day > state.titleDay)) state.titleDay = change.day;
      for (const number of numbers) {
        const article = state.articles.get(number);
        if (article?.deleted) continue;
        if (article && article.day > change.day) continue;
        state.articles.set(number, { day: change.day, deleted: change.kind === 'delete' });
      }
    }
    return state;
  }

  /** The static product with its visible changes: title, and each changed article's price and modification date. */
  private patch(category: Category, index: number, product: TiteliveProduct): TiteliveProduct {
    const state = this.statesAt(category)[index];
    if (!state) return product;
    if (state.titleDay) (product as Record<string, unknown>).titre = `${String(product.titre)} (rév. ${state.titleDay})`;
    for (const article of articlesOf(product) as Array<Record<string, unknown>>) {
      const located = this.catalog.locate(category, String(article.gencod));
      const change = located && state.articles.get(located.articleNumber);
      if (!change) continue;
      const [year, month, date] = change.day.split('-');
      article.datemodification = `${date}/${month}/${year}`;
      if (article.prix !== undefined) article.prix = Math.round((5 + (hash32(index, dayNumber(change.day), located.articleNumber) % 4000) / 100) * 100) / 100;
    }
    return product;
  }
}

function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}
