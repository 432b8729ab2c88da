/**
 * Titelive's article and product shapes, field for field and type for type, as the real API
 * sends them. Each builder follows one answer the public pass Culture backend keeps, "extracted
 * from actual response" (pass-culture-main, api/tests/connectors/titelive/fixtures.py); the
 * values vary by article, the keys, their order and the type of each value are the fixture's.
 * docs/sandbox.md says which fixture gives which shape.
 */
import type { Category } from '../titelive/categories.js';

/**
 * Three ages of the book catalogue, as the fixtures show them:
 * - `legacy`: a /search result or a single-EAN answer (TWO_BOOKS_RESPONSE_FIXTURE,
 *   BOOK_BY_SINGLE_EAN_FIXTURE): about 130 fields, flags and counts as digit strings ("1", "160");
 * - `compact`: a multiple-EAN answer (BOOKS_BY_MULTIPLE_EANS_FIXTURE, INELIGIBLE_BOOK_BY_EAN_FIXTURE):
 *   about 70 fields, flags and counts as numbers (1, 552), `replace`, `public_averti`;
 * - `ebook`: NO_GTL_IN_RESULT_FIXTURE: the legacy fields plus DRM and format fields, `gtl: []`.
 * Music has one (MUSIC_SEARCH_FIXTURE).
 */
export type ArticleFlavour = 'legacy' | 'compact' | 'ebook' | 'music';

/** What differs from one article to the next; the builders lay it out in the real shape. */
export interface ArticleValues {
  category: Category;
  ean: string;
  /** A deterministic number per article, for the choices below. */
  roll: number;
  /** DD/MM/YYYY, or undefined when the article has none (the key is then left out). */
  datemodification: string | undefined;
  dateparution: string;
  dateparutionentier: number;
  datecreation: string;
  datecreationentier: number;
  prix: number | string | undefined;
  resume: string;
  editeur: string;
  distributeur: string;
  codeDistributeur: string;
  collection: string;
  collectionNo: string;
  codesupport: string;
  libellesupport: string;
  libellesupportcourt: string;
  pages: number;
  poids: number | string;
  longueur: number;
  largeur: number;
  epaisseur: number;
  serie: string;
  idserie: string;
  codeClil: string;
  racineEditeur: string;
  codeEditeur: string;
  idLectorat: number;
  gtl: Record<string, unknown> | unknown[] | null;
  hasFront: boolean;
  hasBack: boolean;
  iad: number;
  dispo: number;
  libelledispo: string;
  nbmag: number;
  artiste: string;
  label: string;
  nbtracks: number;
  imageBase: string;
}

const PRICE_COUNTRIES = (prix: number, devise: string) => ({
  fr: { value: prix, devise: '&euro;' },
  be: { value: prix, devise: '&euro;' },
  ch: { value: Math.round(prix * 155) / 100, devise },
});

function numericPrice(v: ArticleValues): number {
  return typeof v.prix === 'number' ? v.prix : Number(v.prix ?? 0) || 0;
}

/** The image URLs of an article, as the real image host names them. */
export function imagesUrlOf(v: Pick<ArticleValues, 'category' | 'ean' | 'imageBase'>, flavour: ArticleFlavour): Record<string, string> {
  const folder = `${v.imageBase}/${v.ean.slice(-3)}`;
  if (v.category === 'music') {
    return { recto: `${folder}/${v.ean}.jpg`, vign: `${folder}/${v.ean}_vd.jpg`, moyen: `${folder}/${v.ean}.jpg`, verso: `${folder}/${v.ean}_2.jpg` };
  }
  const verso = flavour === 'compact' ? `${v.imageBase}/is/6505/${v.ean}_4_75.jpg` : flavour === 'ebook' ? `${v.imageBase}/no_ebook.png` : `${folder}/${v.ean}_4_75.jpg`;
  return { recto: `${folder}/${v.ean}_1_75.jpg`, vign: `${folder}/${v.ean}_1_v.jpg`, moyen: `${folder}/${v.ean}_1_m.jpg`, verso };
}

function detailUrl(v: ArticleValues, kind: string): string {
  return `/${kind}/${v.ean}-${v.serie.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'titre'}/`;
}

/** The zero-valued fields that close the legacy and music shapes. */
const TRAILING_ZEROES = { sorecop: 0, pcb: 0, spcb: 0, volume: 0, compartiment: 0, poche: 0 } as const;

/** Publication date, availability and summary, in the order the legacy and music shapes send them. */
function publicationFields(v: ArticleValues): Record<string, unknown> {
  return { dateparution: v.dateparution, dateparutionentier: v.dateparutionentier, dispo: v.dispo, dispopays: { fr: 1, be: 1, ch: 1 }, libelledispo: v.libelledispo, resume: v.resume };
}

/** The many zero-valued fields the legacy and music shapes carry, in their order. */
/** Book format flags every real article carries, all 0 in the fixtures but `broche`. */
const ZEROED_BOOK_FORMATS = { livre_lu: 0, grands_caracteres: 0, multilingue: 0, illustre: 0, luxe: 0, relie: 0 } as const;

const ZEROED_GOODS_FIELDS = {
  deee_ht: 0, tva: 0, minutesdejeu: 0, nbjoueursmin: 0, nbjoueursmax: 0, colisage: 0,
  longueurboite: 0, largeurboite: 0, hauteurboite: 0, grammesboite: 0, nbpiles: 0, pilesincluses: 0,
  nbanneegarantie: 0, produits_recycles: 0, nbpages: 0, grammage: 0, taille_ecriture_mm: 0,
  poignee: 0, lavable: 0, impermeable: 0, contenance_ml: 0, nbfeuilles: 0, diametre: 0,
  diametreboite: 0, garantiemois: 0, precommande: 0, ispromotion: 0, isnew: 0,
} as const;

/** A book article in the legacy shape (digit strings), or the e-book variant of it. */
export function legacyBookArticle(v: ArticleValues, ebook: boolean): Record<string, unknown> {
  const prix = v.prix;
  const price = numericPrice(v);
  return {
    nombre: 0,
    gencod: v.ean,
    id_catalogue: [ebook ? '-131072' : '0'],
    ...(v.roll % 3 === 0 ? { collection: v.collection } : {}),
    collection_no: v.collectionNo,
    editeur: v.editeur,
    distributeur: ebook ? 'ePagine' : v.distributeur,
    code_distributeur: ebook ? '309' : v.codeDistributeur,
    ...(ebook ? { diffuseur: v.distributeur, entrepot: v.distributeur } : {}),
    ...(prix === undefined ? {} : { prix }),
    prixpays: PRICE_COUNTRIES(price, 'CHF'),
    ...publicationFields(v),
    image: v.hasFront ? '1' : '0',
    image_spe: v.hasFront ? '1' : 0,
    image_alkor: 0,
    // Both types in one shape, as in the real /search page: "1" for a back cover, 0 for none.
    image_4: ebook ? '0' : v.hasBack ? '1' : 0,
    imagesUrl: imagesUrlOf(v, ebook ? 'ebook' : 'legacy'),
    detailUrl: detailUrl(v, ebook ? 'ebook' : 'livre'),
    langue: 'Français',
    langueiso: 'fra',
    langueflag: 'https://static.epagine.fr/commonfiles/flags/fr.png',
    nbmag: String(v.nbmag),
    codesupport: ebook ? 'LE' : v.codesupport,
    libellesupport: ebook ? 'ebook (pdf)' : v.libellesupport,
    codesupport2: [],
    libellesupport2: [],
    ...(ebook ? { idformat: String(4_000_000 + (v.roll % 99_999)), libelleformat: 'pdf', drm: '0' } : {}),
    chapitre: 0,
    biblio: '0',
    extrait: ebook ? '0' : 0,
    extrait_oeuvre: String(v.roll % 2),
    pages: String(v.pages),
    longueur: ebook ? 0 : v.longueur,
    largeur: ebook ? 0 : v.largeur,
    hauteur: 0,
    epaisseur: ebook ? 0 : v.epaisseur,
    poids: ebook ? '0' : typeof v.poids === 'number' ? String(v.poids) : v.poids,
    biographie: String(v.roll % 2),
    biographies: [],
    websites: [],
    datecreation: v.datecreation,
    datecreationentier: v.datecreationentier,
    ...(v.datemodification === undefined ? {} : { datemodification: v.datemodification }),
    serie: v.serie,
    idserie: v.idserie,
    scolaire: '0',
    ...(v.roll % 5 === 1 ? { lectorat: 'à partir de 8 ANS' } : {}),
    ...(ebook ? { commentaire: 'préface Marie-Françoise Fuchs' } : {}),
    livre_etranger: '0',
    ...(ebook ? {} : { racine_editeur: v.racineEditeur }),
    ...(ebook ? {} : { code_clil: v.codeClil }),
    type_prix: ebook ? 0 : '4',
    ...(ebook ? { accessibilite: [] } : {}),
    contenu_explicite: 0,
    nb_galettes: 0,
    duree: 0,
    anneesortie: 0,
    interpretes: [],
    typeproduit: ebook ? '1' : 0,
    colors: [],
    langues: [],
    audios: [],
    soustitres: [],
    iad: String(v.iad),
    ...(ebook ? { usage: '{"IT":{"print":"01","copy":"01"}}' } : {}),
    id_code_langue: '10000',
    taux_tva: '5.50',
    code_tva: '2',
    nboccasions: 0,
    stock: 0,
    gtl: ebook ? [] : v.gtl,
    gtlvideo: [],
    operations: [],
    tracks: [],
    ...(ebook ? {} : { cmb: String(110_101 + (v.roll % 30_000)) }),
    ...ZEROED_GOODS_FIELDS,
    ...(ebook ? { drm_libelle: 'DRM Adobe', editeur_id_epagine: String(1000 + (v.roll % 9000)) } : {}),
    multijoueur: 0,
    nblicenses: 0,
    nbutilisateur: 0,
    internet: 0,
    pegi: [],
    solo: 0,
    online: 0,
    avertissement: [],
    drmlcp: ebook ? '0' : 0,
    bonus_extraits: { gencod: v.ean, pagesinterieures: '0', pdfextrait: '0', pdfchapitre: '0', pdfparagraphe: '0', mp3_count: '0' },
    id_lectorat: String(v.idLectorat),
    livre_lu: '0',
    grands_caracteres: '0',
    multilingue: '0',
    illustre: '0',
    luxe: '0',
    relie: v.codesupport === 'T' ? '1' : '0',
    broche: v.codesupport === 'T' ? '0' : '1',
    ...(ebook ? { DrmId: '1', EntrepotID: '700' } : {}),
    lectureEnLigne: ebook ? '0' : 0,
    NombreMagasins: 0,
    collector: '0',
    code_editeur: v.codeEditeur,
    ...TRAILING_ZEROES,
  };
}

/** A book article in the compact shape (numbers for flags and counts). */
export function compactBookArticle(v: ArticleValues): Record<string, unknown> {
  return {
    nombre: 0,
    gencod: v.ean,
    id_catalogue: ['0'],
    collection: v.collection,
    collection_no: v.collectionNo,
    editeur: v.editeur,
    distributeur: v.distributeur,
    code_distributeur: v.codeDistributeur,
    ...(v.prix === undefined ? {} : { prix: v.prix }),
    taux_tva: '5.50',
    code_tva: 2,
    prixpays: PRICE_COUNTRIES(numericPrice(v), 'CHF'),
    dateparution: v.dateparution,
    dateparutionentier: v.dateparutionentier,
    datecreation: v.datecreation,
    datecreationentier: v.datecreationentier,
    ...(v.datemodification === undefined ? {} : { datemodification: v.datemodification }),
    dispo: v.dispo,
    dispopays: { fr: 1, be: 1, ch: 1 },
    libelledispo: v.libelledispo,
    resume: v.resume,
    image: v.hasFront ? 1 : 0,
    image_spe: v.hasFront ? 1 : 0,
    image_4: v.hasBack ? 1 : 0,
    imagesUrl: imagesUrlOf(v, 'compact'),
    detailUrl: detailUrl(v, 'livre'),
    langue: 'Français',
    langueiso: 'fra',
    langueflag: 'https://static.epagine.fr/commonfiles/flags/fr.png',
    nbmag: v.nbmag,
    codesupport: v.codesupport,
    libellesupport: v.libellesupport,
    drm: 0,
    biblio: 0,
    extrait: 0,
    extrait_oeuvre: 1,
    pages: v.pages,
    longueur: v.longueur,
    largeur: v.largeur,
    epaisseur: v.epaisseur,
    poids: v.poids,
    biographie: v.roll % 2,
    biographies: [],
    websites: [],
    serie: v.serie,
    idserie: v.idserie,
    scolaire: 0,
    ...(v.roll % 4 === 1 ? { commentaire: 'IMPRESSION A LA DEMANDE' } : {}),
    livre_etranger: 0,
    racine_editeur: v.racineEditeur,
    code_clil: v.codeClil,
    type_prix: v.roll % 6 === 0 ? '0' : '4',
    typeproduit: 0,
    iad: String(v.iad),
    id_code_langue: '10000',
    stock: 0,
    gtl: v.gtl,
    cmb: String(110_101 + (v.roll % 30_000)),
    public_averti: 0,
    ...(v.roll % 3 === 0 ? { replace: [`978${String(v.roll % 1_000_000_000).padStart(10, '0')}`] } : {}),
    precommande: 0,
    ispromotion: 0,
    isnew: 0,
    drmlcp: 0,
    bonus_extraits: { gencod: v.ean, pagesinterieures: 0, pdfextrait: 0, pdfchapitre: 0, pdfparagraphe: 0, mp3_count: 0 },
    id_lectorat: v.idLectorat,
    ...ZEROED_BOOK_FORMATS,
    broche: 1,
    NombreMagasins: 0,
    collector: 0,
    code_editeur: v.codeEditeur,
  };
}

/** A recorded-music article (MUSIC_SEARCH_FIXTURE). */
export function musicArticle(v: ArticleValues): Record<string, unknown> {
  const price = numericPrice(v);
  return {
    nombre: 0,
    gencod: v.ean,
    id_catalogue: ['0'],
    editeur: v.editeur,
    distributeur: v.distributeur,
    code_distributeur: v.codeDistributeur,
    // Some music articles have no `prix`, only `prixpays` (Cracker Island in the fixture).
    ...(v.prix === undefined || v.roll % 5 === 0 ? {} : { prix: v.prix }),
    codeprix: v.roll % 2 === 0 ? `AP${1000 + (v.roll % 9000)}` : String(100 + (v.roll % 900)),
    prixpays: { fr: { value: price, devise: '&euro;' }, be: { value: price, devise: '&euro;' } },
    ...publicationFields(v),
    image: v.hasFront ? '1' : '0',
    image_spe: v.hasFront ? '1' : '0',
    image_alkor: 0,
    image_4: v.hasBack ? '1' : '0',
    imagesUrl: imagesUrlOf(v, 'music'),
    detailUrl: detailUrl(v, 'music'),
    nbmag: String(v.nbmag),
    codesupport: v.codesupport,
    libellesupport: v.libellesupport,
    libellesupportcourt: v.libellesupportcourt,
    codesupport2: [],
    libellesupport2: [],
    chapitre: 0,
    biblio: '0',
    extrait: 0,
    extrait_oeuvre: '0',
    pages: 0,
    longueur: 0,
    largeur: 0,
    hauteur: 0,
    epaisseur: 0,
    poids: 0,
    biographies: [],
    websites: [],
    ...(v.datemodification === undefined ? {} : { datemodification: v.datemodification }),
    idserie: 0,
    livre_etranger: 0,
    type_prix: 0,
    contenu_explicite: 0,
    nb_galettes: String(1 + (v.roll % 2)),
    duree: 0,
    anneesortie: 0,
    interprete: v.artiste,
    interpretes: [],
    typeproduit: '4',
    colors: [],
    langues: [],
    audios: [],
    soustitres: [],
    artiste: v.artiste,
    compositeur: v.artiste,
    nbtracks: String(v.nbtracks),
    label: v.label,
    taux_tva: 0,
    code_tva: '3',
    nboccasions: 0,
    stock: 0,
    gtl: v.gtl,
    gtlvideo: [],
    operations: [],
    tracks: [],
    ...ZEROED_GOODS_FIELDS,
    multijoueur: 0,
    nblicenses: 0,
    nbutilisateur: 0,
    internet: 0,
    pegi: [],
    drmlcp: 0,
    bonus_extraits: { gencod: v.ean },
    ...ZEROED_BOOK_FORMATS,
    broche: 0,
    ReferenceInterne: `BLV${String(v.roll % 10_000).padStart(4, '0')}`,
    prix_ht: Math.round((price / 1.2) * 100) / 100,
    lectureEnLigne: 0,
    NombreMagasins: 0,
    collector: 0,
    code_editeur: 0,
    ...TRAILING_ZEROES,
  };
}

/** One author of a product: the id Titelive keys `auteurs_multi` by in /ean answers, and the name. */
export interface Author {
  id: string;
  name: string;
}

/**
 * A product as a /search page lists it (`id` a number, articles keyed "1","2",…, authors as a
 * list of names), or as an /ean answer gives it (`id` a string, articles as a list, authors as
 * an object keyed by author id).
 */
export function productShape(
  category: Category,
  form: 'search' | 'ean',
  values: { id: number; titre: string; authors: Author[]; artiste: string; typeproduit: number },
  articles: Record<string, unknown>[],
): Record<string, unknown> {
  const article = form === 'search' ? Object.fromEntries(articles.map((a, index) => [String(index + 1), a])) : articles;
  const id = form === 'search' ? values.id : String(values.id);
  if (category === 'music') {
    return { id, titre: values.titre, auteurs_multi: [], auteurs_id: [], auteurs_fonction: [], realisateur_multi: [], article, biographies: [], websites: [], typeproduit: 4, interprete: values.artiste };
  }
  const names = values.authors.map((author) => author.name);
  return {
    id,
    titre: values.titre,
    auteurs: names.join(', '),
    auteurs_multi: form === 'search' ? names : Object.fromEntries(values.authors.map((author) => [author.id, author.name])),
    auteurs_id: form === 'search' ? [] : values.authors.map((author) => author.id),
    auteurs_fonctions: [],
    ...(form === 'search' || values.id % 2 === 0 ? { realisateur_multi: [] } : {}),
    article,
    biographies: [],
    websites: [],
    typeproduit: form === 'search' ? 1 : values.typeproduit,
  };
}

/** The /search answer around a page of products (TWO_BOOKS_RESPONSE_FIXTURE, MUSIC_SEARCH_FIXTURE). */
export function searchEnvelope(category: Category, page: number, perPage: number, total: number, result: unknown): Record<string, unknown> {
  if (category === 'music') return { type: 4, magid: '7', nombre: perPage, page, result, suggestions: [], nbreponses: total, changeEncodingTo: 'UTF-8', ws: 1 };
  return {
    type: 1,
    magid: '6505',
    nombre: perPage,
    page: String(page),
    result,
    suggestions: [],
    nbreponses: total,
    temps: 1.18904,
    tri_ordre: 'desc',
    params: { base: category, login: 'SANDBOX', mid: '6505', nombre: String(perPage), page: String(page), dispo: [0, 1, 2], biblio: 0, is_promotion: 0, magasin: ['6505'], support: 1, ws: 1 },
    exact: [],
    version: 'json',
    magasin: ['6505', 0],
    support: '1',
    dispo: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    biblio: 0,
    stocks: 0,
    drmlcp: 0,
    occasion: 0,
    image: 0,
    ws: 1,
    compatibility: [],
    is_promotion: 0,
    flou: 0,
    idserie: 0,
    scolaire: 0,
    changeEncodingTo: 'UTF-8',
  };
}

/** The /ean answer for several EANs (BOOKS_BY_MULTIPLE_EANS_FIXTURE): one entry per EAN found. */
export function eanListEnvelope(result: Record<string, unknown>[], found: Array<{ typeproduit: number; gencod: string }>): Record<string, unknown> {
  return { magid: '6505', result, compatibility: [], list: found, changeEncodingTo: 'UTF-8', extraparams: { ws: 1 } };
}

/** The /ean answer for one EAN (BOOK_BY_SINGLE_EAN_FIXTURE): the product under `oeuvre`. */
export function singleEanEnvelope(product: Record<string, unknown>, ean: string): Record<string, unknown> {
  return { type: 1, magid: '6505', compatibility: [], oeuvre: product, ean, changeEncodingTo: 'UTF-8', extraparams: { ws: 1 } };
}
