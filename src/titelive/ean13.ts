/** The GS1 check digit of an EAN-13's first 12 digits. */
export function ean13CheckDigit(first12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (first12.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
}

/**
 * Why a text is not an EAN-13 Titelive can be asked for, or undefined when it is one: 13
 * digits whose last is the check digit of the first 12.
 */
export function ean13Problem(text: string): string | undefined {
  if (!/^\d{13}$/.test(text)) return text.length === 13 ? 'not all digits' : `${text.length} characters, not 13 digits`;
  const check = ean13CheckDigit(text.slice(0, 12));
  return check === text[12] ? undefined : `wrong check digit (${text[12]}, expected ${check})`;
}
