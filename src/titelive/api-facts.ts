/** Titelive's public endpoints and the limits its API enforces. */
export const DEFAULT_API_URL = 'https://catsearch.epagine.fr/v1';
export const DEFAULT_LOGIN_URL = 'https://login.epagine.fr/v1/login';
/** The API refuses more than this many EANs in one /ean call. */
export const MAX_EANS_PER_CALL = 250;
/** The API will not page past this many results for one search. */
export const SEARCH_RESULT_CAP = 20_000;
/** Where Titelive's covers are served from (the real answers' `imagesUrl`). */
export const TITELIVE_IMAGE_HOSTS = 'images.epagine.fr';
