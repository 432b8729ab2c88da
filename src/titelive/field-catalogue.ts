/**
 * Every Titelive field the product knows: where it lives in an answer (the product, or one of its
 * articles), the column it becomes, and the rule that turns its value into that column's type.
 * `products/` has one column per entry, for books and music alike (one schema for both, so every
 * part of every run reads together); the documents `load` writes carry the same names.
 *
 * Where the fields come from: the Titelive answers the public pass Culture backend keeps as test
 * fixtures, "extracted from actual response" (pass-culture-main, api/tests/connectors/titelive/
 * fixtures.py): a /search page of books, /ean answers for one and two books, an e-book, a /search
 * page of music. `seen` names them (see SEEN_IN). A field the API sends that is not listed here
 * is kept, under the column name it would have, in the JSON object of `extra_fields`.
 *
 * The rules (docs/columns.md lists them per column):
 * - integer (INT64): counts, flags and quantities whose real values are whole numbers. The API
 *   sends them as numbers in some products and as digit strings in others ("1" and 1 for
 *   `image_spe`); both are stored as the number. A value that is not a whole number is null,
 *   and counted.
 * - decimal (DOUBLE): prices, rates and dimensions (`taux_tva` comes as "5.50"); a decimal comma
 *   is read too. A value that is not a number is null, and counted.
 * - text (STRING): names, labels, dates (day first, as sent) and every code or identifier, even
 *   when it is made of digits (`code_clil`, `idserie`, `id_lectorat`): codes are compared, never
 *   added, and keep their leading zeros. A number sent for a text field is stored as its decimal
 *   text ("0" for 0), and counted.
 * - json (STRING): nested values (objects, lists) as JSON text, as the seed writes them.
 * Every rule stores "None", "nan" and "NaN" as null, as the seed does.
 */
export type FieldRule = 'integer' | 'decimal' | 'text' | 'json';
export type FieldLevel = 'product' | 'article';

/** The fixtures of the public pass Culture backend that show each field (see `seen`). */
export const SEEN_IN = {
  S: 'a /search page of books (TWO_BOOKS_RESPONSE_FIXTURE)',
  E: '/ean answers for books (BOOK_BY_SINGLE_EAN_FIXTURE, BOOKS_BY_MULTIPLE_EANS_FIXTURE, INELIGIBLE_BOOK_BY_EAN_FIXTURE)',
  K: 'an e-book /ean answer (NO_GTL_IN_RESULT_FIXTURE)',
  M: 'a /search page of music (MUSIC_SEARCH_FIXTURE)',
  W: 'read by the downstream warehouse (pass Culture dbt); not in the fixtures',
} as const;
export type SeenIn = keyof typeof SEEN_IN;

export interface CatalogueField {
  level: FieldLevel;
  /** The field's name in the answer. */
  field: string;
  rule: FieldRule;
  /** Fixtures that show it: letters of SEEN_IN. */
  seen: string;
  /** Written without a dictionary attempt: values nearly all distinct, or long free text. */
  plain?: boolean;
  /** Indexed in MongoDB: a field users look articles up by. */
  indexed?: boolean;
}

/**
 * Product fields, then article fields, in the order the API sends them: one field a line, as
 * `level field rule seen [options]`, options comma-separated (plain, indexed).
 */
const TABLE = `
product  id                  integer  SEKM  indexed
product  titre               text     SEKM  plain
product  auteurs             text     SEK
product  auteurs_multi       json     SEKM
product  auteurs_id          json     SEKM
product  auteurs_fonctions   json     SEK
product  auteurs_fonction    json     M
product  realisateur_multi   json     SEKM
product  biographies         json     SEKM
product  websites            json     SEKM
product  typeproduit         integer  SEKM
product  interprete          text     M

article  nombre              integer  SEKM
article  gencod              text     SEKM  plain
article  id_catalogue        json     SEKM
article  collection          text     E
article  collection_no       text     SEK
article  editeur             text     SEKM
article  distributeur        text     SEKM
article  code_distributeur   text     SEKM
article  diffuseur           text     K
article  entrepot            text     K
article  prix                decimal  SEKM  plain
article  codeprix            text     M
article  prix_ht             decimal  M
article  taux_tva            decimal  SEKM
article  code_tva            text     SEKM
article  prixpays            json     SEKM
article  dateparution        text     SEKM
article  dateparutionentier  integer  SEKM
article  datecreation        text     SEK
article  datecreationentier  integer  SEK
article  datemodification    text     SEKM
article  dispo               integer  SEKM
article  dispopays           json     SEKM
article  libelledispo        text     SEKM
article  resume              text     SEKM  plain
article  image               integer  SEKM
article  image_spe           integer  SEKM
article  image_alkor         integer  SKM
article  image_4             integer  SEKM
article  imagesUrl           json     SEKM  plain
article  detailUrl           text     SEKM  plain
article  langue              text     SEK
article  langueiso           text     SEK
article  langueflag          text     SEK
article  nbmag               integer  SEKM
article  codesupport         text     SEKM
article  libellesupport      text     SEKM
article  libellesupportcourt text     M
article  codesupport2        json     SKM
article  libellesupport2     json     SKM
article  idformat            text     K
article  libelleformat       text     K
article  drm                 integer  EK
article  drm_libelle         text     K
article  DrmId               text     K
article  chapitre            integer  SKM
article  biblio              integer  SEKM
article  extrait             integer  SEKM
article  extrait_oeuvre      integer  SEKM
article  pages               integer  SEKM
article  longueur            decimal  SEKM
article  largeur             decimal  SEKM
article  hauteur             decimal  SKM
article  epaisseur           decimal  SEKM
article  poids               integer  SEKM
article  biographie          integer  SEK
article  biographies         json     SEKM
article  websites            json     SEKM
article  serie               text     SEK
article  idserie             text     SEKM  indexed
article  scolaire            integer  SEK
article  lectorat            text     S
article  commentaire         text     EK
article  livre_etranger      integer  SEKM
article  racine_editeur      text     SEK
article  code_clil           text     SEK
article  type_prix           text     SEKM
article  accessibilite       json     K
article  contenu_explicite   integer  SKM
article  nb_galettes         integer  SKM
article  duree               integer  SKM
article  anneesortie         integer  SKM
article  interprete          text     M
article  interpretes         json     SKM
article  typeproduit         integer  SEKM
article  colors              json     SKM
article  langues             json     SKM
article  audios              json     SKM
article  soustitres          json     SKM
article  artiste             text     M
article  compositeur         text     M
article  nbtracks            integer  M
article  label               text     M
article  contributor         json     W
article  iad                 integer  SEKM
article  usage               text     K
article  id_code_langue      text     SEK
article  nboccasions         integer  SKM
article  stock               integer  SEKM
article  gtl                 json     SEKM
article  gtlvideo            json     SKM
article  operations          json     SKM
article  tracks              json     SKM
article  cmb                 text     SEK
article  public_averti       integer  E
article  replace             json     E
article  deee_ht             decimal  SKM
article  tva                 decimal  SKM
article  minutesdejeu        integer  SKM
article  nbjoueursmin        integer  SKM
article  nbjoueursmax        integer  SKM
article  colisage            integer  SKM
article  longueurboite       decimal  SKM
article  largeurboite        decimal  SKM
article  hauteurboite        decimal  SKM
article  grammesboite        integer  SKM
article  nbpiles             integer  SKM
article  pilesincluses       integer  SKM
article  nbanneegarantie     integer  SKM
article  produits_recycles   integer  SKM
article  nbpages             integer  SKM
article  grammage            integer  SKM
article  taille_ecriture_mm  decimal  SKM
article  poignee             integer  SKM
article  lavable             integer  SKM
article  impermeable         integer  SKM
article  contenance_ml       decimal  SKM
article  nbfeuilles          integer  SKM
article  diametre            decimal  SKM
article  diametreboite       decimal  SKM
article  garantiemois        integer  SKM
article  precommande         integer  SEKM
article  ispromotion         integer  SEKM
article  isnew               integer  SEKM
article  editeur_id_epagine  text     K
article  multijoueur         integer  SKM
article  nblicenses          integer  SKM
article  nbutilisateur       integer  SKM
article  internet            integer  SKM
article  pegi                json     SKM
article  solo                integer  SK
article  online              integer  SK
article  avertissement       json     SK
article  drmlcp              integer  SEKM
article  bonus_extraits      json     SEKM  plain
article  id_lectorat         text     SEK
article  livre_lu            integer  SEKM
article  grands_caracteres   integer  SEKM
article  multilingue         integer  SEKM
article  illustre            integer  SEKM
article  luxe                integer  SEKM
article  relie               integer  SEKM
article  broche              integer  SEKM
article  EntrepotID          text     K
article  ReferenceInterne    text     M
article  lectureEnLigne      integer  SKM
article  NombreMagasins      integer  SEKM
article  collector           integer  SEKM
article  code_editeur        text     SEKM
article  sorecop             integer  SKM
article  pcb                 integer  SKM
article  spcb                integer  SKM
article  volume              decimal  SKM
article  compartiment        integer  SKM
article  poche               integer  SKM
`;

/** Parses TABLE; a malformed line fails at load, naming it. */
function parseCatalogue(table: string): CatalogueField[] {
  return table.split('\n').filter((line) => line.trim() !== '').map((line) => {
    const [level, field, rule, seen, options = ''] = line.trim().split(/\s+/);
    const flags = new Set(options.split(',').filter(Boolean));
    const known = (level === 'product' || level === 'article') && field && ['integer', 'decimal', 'text', 'json'].includes(rule ?? '') && /^[SEKMW]*$/.test(seen ?? '');
    if (!known || [...flags].some((flag) => flag !== 'plain' && flag !== 'indexed')) throw new Error(`field catalogue: cannot read the line '${line.trim()}'`);
    return { level, field, rule: rule as FieldRule, seen: seen!, ...(flags.has('plain') ? { plain: true } : {}), ...(flags.has('indexed') ? { indexed: true } : {}) };
  });
}

export const FIELD_CATALOGUE: readonly CatalogueField[] = parseCatalogue(TABLE);

/** The column a field becomes: product fields keep their name, article fields get `article_`. */
export function columnName(level: FieldLevel, field: string): string {
  return level === 'article' ? `article_${field}` : field;
}
