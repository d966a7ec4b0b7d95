import unhomoglyph from 'unhomoglyph';

/**
 * Longest username or alias, in characters (code points), that duo-bridge writes to Duo or reads
 * from a tenant snapshot. No official Duo source states the limit (duo-admin-api.md §5, "maximum
 * length is [U]"); the one check found is a third-party module's 1..100 (mbegan/Duo-PSModule PR
 * #20). 100 covers every sAMAccountName (20) and e-mail address in practice, and 100 such names
 * fit the URL of one username_list look-up. The simulator lists it among its assumptions.
 */
export const MAX_NAME_LENGTH = 100;

/** Longest other text value (display names, e-mail, notes) a snapshot or a row may hold. */
export const MAX_TEXT_LENGTH = 4096;

/**
 * Characters a name must not hold because nobody can see them, or they change how the rest is
 * shown: format characters (zero-width space and joiners, soft hyphen, bidi embeddings, overrides
 * and isolates U+202A–202E and U+2066–2069, U+FEFF), every other default-ignorable code point
 * (variation selectors, Hangul fillers), the line and paragraph separators U+2028/U+2029, private
 * use, lone surrogates, and U+FFFD, which stands where a broken byte was. Unicode's own list:
 * UAX #31 and UTS #39 exclude all of these from identifiers.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}\p{Co}\p{Cs}\uFFFD]/u;

/** The first invisible or bidi-control character in `value`, or null. Pure ASCII is never one. */
export function invisibleCharacter(value: string): { readonly codePoint: string; readonly position: number } | null {
  if (isAscii(value)) return null;
  const match = INVISIBLE.exec(value);
  if (match === null) return null;
  return { codePoint: `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, position: [...value.slice(0, match.index)].length + 1 };
}

/**
 * The length in characters (code points) of a value longer than `limit`, or null when it is within
 * it. Cheap for the usual case: no longer than the limit in UTF-16 units means within it.
 */
export function lengthOver(value: string, limit: number): number | null {
  if (value.length <= limit) return null;
  let count = 0;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  for (const _ of value) count++;
  return count > limit ? count : null;
}

// The ASCII characters Unicode's confusables map to something else (0 → O, 1 → l, m → rn, …) and
// their prototypes, asked of the data itself once: ASCII names (most) skip the package's large regex.
const ASCII_PROTOTYPES = new Map([...Array(128).keys()].map((c) => String.fromCharCode(c)).filter((c) => unhomoglyph(c) !== c).map((c) => [c, unhomoglyph(c)]));

/**
 * The key under which two names look the same: UTS #39's skeleton (NFD, each character replaced by
 * its prototype from Unicode's confusables.txt, NFD again) of the name as Duo shows it (trimmed,
 * lower-cased), after NFKC, so full-width ｕｓｅｒ１ and Cyrillic usеr1 both meet user1. Two
 * prototypes are then written as the common characters they stand for, rn as m and O as 0: neither
 * m nor 0 is a prototype, so no two skeletons meet that were apart, and most names (an m in
 * `@example.com`, a 0 in `u000123`) are their own key, which the look-alike table need not keep.
 * Only for comparing: a skeleton is not a name (UTS #39 §4). The data is the npm package unhomoglyph
 * (Unicode's confusables.txt, version 13.0).
 */
export function lookalikeKey(value: string): string {
  // ASCII is its own NFKC and NFD: most names skip both (each a call into ICU).
  if (isAscii(value)) return asciiSkeleton(value.trim().toLowerCase());
  const folded = value.trim().normalize('NFKC').toLowerCase();
  if (isAscii(folded)) return asciiSkeleton(folded);
  return commonForm(unhomoglyph(folded.normalize('NFD')).normalize('NFD'));
}

function commonForm(skeleton: string): string {
  return skeleton.replace(/rn/g, 'm').replace(/O/g, '0');
}

// The prototypes hold no combining mark and are their own NFD, so a skeleton built of them needs no NFD pass (checked here, once).
const PROTOTYPES_NFD = [...ASCII_PROTOTYPES.values()].every((p) => p === p.normalize('NFD') && !/\p{M}/u.test(p));

/**
 * Prototype by char code (undefined: the character is its own), m and 0 already in their common
 * form; a loop, not a replace callback: it runs for every name.
 */
const ASCII_PROTOTYPE_AT: (string | undefined)[] = [...Array(128).keys()].map((c) => {
  const prototype = ASCII_PROTOTYPES.get(String.fromCharCode(c));
  return prototype === undefined || commonForm(prototype) === String.fromCharCode(c) ? undefined : prototype;
});

function asciiSkeleton(folded: string): string {
  let skeleton = '';
  let from = 0;
  for (let i = 0; i < folded.length; i++) {
    const prototype = ASCII_PROTOTYPE_AT[folded.charCodeAt(i)];
    if (prototype === undefined) continue;
    skeleton += folded.slice(from, i) + prototype;
    from = i + 1;
  }
  if (from !== 0) skeleton += folded.slice(from);
  else skeleton = folded;
  // An r and an n written apart are the prototype of m: in common form, m.
  if (skeleton.includes('rn')) skeleton = skeleton.replace(/rn/g, 'm');
  return PROTOTYPES_NFD ? skeleton : skeleton.normalize('NFD');
}

function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0x7f) return false;
  return true;
}
