/**
 * Check digits of the identifiers an X-ray scanner reads (OCR) or is told: the gateway verifies
 * them itself and never trusts a device's word (EVENT-MODEL.md, `subject`).
 *
 *   ISO 6346 container number  4 letters (owner code + category U, J or Z), 6 digits, 1 check digit
 *   EU MRN (UCC)               18 characters; the 18th is the ISO 6346 check character of the first 17
 *   IATA air waybill           3-digit airline prefix + 8-digit serial; the serial's 8th digit is
 *                              its first 7 digits modulo 7
 *
 * ISO 6346 weights: letters take the values 10..38 skipping the multiples of 11 (A=10, B=12 ...
 * K=21, L=23 ... U=32, V=34 ... Z=38), digits their own value; position i (from 0) is weighted
 * 2^i; the check digit is (sum mod 11) mod 10, so a remainder of 10 reads as 0.
 */

const CONTAINER = /^[A-Z]{3}[UJZ][0-9]{6}[0-9]$/;
const MRN = /^[0-9]{2}[A-Z]{2}[A-Z0-9]{13}[A-Z0-9]$/;
const AWB = /^[0-9]{3}[0-9]{8}$/;

/** Upper case, without the spaces, dashes and dots people and OCR engines put in identifiers. */
export function compactId(id: string): string {
  return id.toUpperCase().replace(/[\s\-./]/g, '');
}

function iso6346Value(c: string): number | undefined {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code < 65 || code > 90) return undefined;
  // A=10, then +1 per letter, skipping 11, 22 and 33
  let v = 10;
  for (let x = 65; x < code; x += 1) {
    v += 1;
    if (v % 11 === 0) v += 1;
  }
  return v;
}

/** The ISO 6346 check digit (0-9) of `body` (A-Z, 0-9), or undefined when it holds another character. */
export function iso6346CheckDigit(body: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    const v = iso6346Value(body.charAt(i));
    if (v === undefined) return undefined;
    sum += v * 2 ** i;
  }
  return (sum % 11) % 10;
}

export interface CheckedId {
  /** the identifier compacted (upper case, separators removed) */
  id: string;
  /** false also when the identifier does not have the scheme's shape at all */
  checkDigitValid: boolean;
}

/** ISO 6346 container number, e.g. "CSQU 305438 3" -> { id: "CSQU3054383", checkDigitValid: true }. */
export function checkContainerNumber(raw: string): CheckedId {
  const id = compactId(raw);
  if (!CONTAINER.test(id)) return { id, checkDigitValid: false };
  return { id, checkDigitValid: iso6346CheckDigit(id.slice(0, 10)) === Number(id.charAt(10)) };
}

/** EU Movement Reference Number (18 characters, ISO 6346 check character). */
export function checkMrn(raw: string): CheckedId {
  const id = compactId(raw);
  if (!MRN.test(id)) return { id, checkDigitValid: false };
  return { id, checkDigitValid: String(iso6346CheckDigit(id.slice(0, 17))) === id.charAt(17) };
}

/** IATA air waybill number (11 digits: prefix + serial; the last digit is serial[0..7) mod 7). */
export function checkAwb(raw: string): CheckedId {
  const id = compactId(raw);
  if (!AWB.test(id)) return { id, checkDigitValid: false };
  return { id, checkDigitValid: Number(id.slice(3, 10)) % 7 === Number(id.charAt(10)) };
}
