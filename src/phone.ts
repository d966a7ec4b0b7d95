import { parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js';
import { isSupportedCountry } from 'libphonenumber-js';
import { UsageError } from './errors.js';

/** Digits and the punctuation people write numbers with, and an optional extension (x12, ext. 12, #12). */
const LOOKS_LIKE_A_NUMBER = /^\s*\+?[\d\s().\-/]*\d[\d\s().\-/]*(?:(?:x|ext\.?|#)\s*\d+)?\s*$/i;

/** A phone number as Duo stores it: E.164 (`+17345553302`) and an extension (`3243`, or ''). */
export interface PhoneNumber {
  readonly number: string;
  readonly extension: string;
}

export type PhoneParse =
  | { readonly ok: true; readonly phone: PhoneNumber }
  | { readonly ok: false; readonly reason: 'needs-country' | 'invalid'; readonly message: string };

/**
 * Normalises a phone cell to E.164 with libphonenumber-js. Duo reads a number without a leading `+`
 * as a US number, so a national number is only accepted with a country to read it in: sending it as
 * typed could reach a stranger's phone. "Possible" (the right length for its country) is the test,
 * not "valid": new number ranges appear faster than any library's metadata.
 */
export function parsePhone(text: string, defaultCountry?: CountryCode): PhoneParse {
  const international = text.trimStart().startsWith('+');
  if (!LOOKS_LIKE_A_NUMBER.test(text)) return { ok: false, reason: 'invalid', message: `"${text}" is not a phone number` };
  if (!international && defaultCountry === undefined) {
    return { ok: false, reason: 'needs-country', message: `"${text}" has no country code, and Duo would read it as a US number` };
  }
  try {
    const parsed = parsePhoneNumberWithError(text, international ? undefined : defaultCountry);
    if (!parsed.isPossible()) return { ok: false, reason: 'invalid', message: `"${text}" is not a possible phone number${parsed.country ? ` in ${parsed.country}` : ''}` };
    return { ok: true, phone: { number: parsed.number, extension: parsed.ext ?? '' } };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { ok: false, reason: 'invalid', message: `"${text}" is not a phone number` };
  }
}

/** The key two cells of the same phone share: number and extension. */
export function phoneKey(phone: PhoneNumber): string {
  return phone.extension === '' ? phone.number : `${phone.number}x${phone.extension}`;
}

/** `--default-country`: an ISO 3166 two-letter code libphonenumber-js knows. */
export function parseCountry(value: string | undefined): CountryCode | undefined {
  if (value === undefined) return undefined;
  const code = value.trim().toUpperCase();
  if (!isSupportedCountry(code)) throw new UsageError('BAD_OPTION', `--default-country: "${value}" is not a two-letter country code (e.g. US, DE, GB)`);
  return code;
}

/** What a phone is, as Duo's phone object says it. */
export interface PhoneKind {
  readonly type: 'mobile' | 'landline';
  readonly platform: string;
}

/** Duo's API platform names (the phone object's `platform`). */
const API_PLATFORMS = ['unknown', 'google android', 'apple ios', 'windows phone 7', 'rim blackberry', 'java j2me', 'palm webos',
  'symbian os', 'windows mobile', 'generic smartphone'];

/** The words Duo's "Import Users" CSV uses, and the API's own names. */
const PLATFORM_WORDS = new Map<string, PhoneKind>([
  ['iphone', { type: 'mobile', platform: 'apple ios' }],
  ['ios', { type: 'mobile', platform: 'apple ios' }],
  ['android', { type: 'mobile', platform: 'google android' }],
  ['smartphone', { type: 'mobile', platform: 'generic smartphone' }],
  ['mobile', { type: 'mobile', platform: 'unknown' }],
  ['landline', { type: 'landline', platform: 'unknown' }],
  ...API_PLATFORMS.map((platform) => [platform, { type: 'mobile', platform }] as const),
]);

/** A platform cell (case-insensitive); an empty one means a mobile phone of unknown platform; null: not a word Duo knows. */
export function phoneKind(platform: string): PhoneKind | null {
  if (platform.trim() === '') return { type: 'mobile', platform: 'unknown' };
  return PLATFORM_WORDS.get(platform.trim().toLowerCase().replace(/\s+/g, ' ')) ?? null;
}

export const PLATFORM_CHOICES = 'iphone, android, smartphone, mobile, landline (or Duo\'s names: google android, apple ios, …)';
