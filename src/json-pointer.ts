/** JSON Pointers (RFC 6901) and the dotted form people read in error messages. */

/** pointer('emit', 2, 'when') -> "/emit/2/when" */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** "/emit/2/when/changed" -> "emit[2].when.changed"; "" -> "(top level)" */
export function displayPath(ptr: string): string {
  if (ptr === '') return '(top level)';
  return ptr
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}
