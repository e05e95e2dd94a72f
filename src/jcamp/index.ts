/**
 * JCAMP-DX (4.24 and 5.x) for the rest of the gateway: our own reader and a small writer. The
 * spectrometer adapters, `borderlink inspect` and the simulators use these rather than parsing
 * JCAMP themselves. See docs/jcamp.md for what is read, what is refused, and why this is not
 * jcampconverter.
 */
export { parseJcamp } from './parse.js';
export { writeJcamp, type JcampWriteInput } from './write.js';
export { normaliseLabel } from './labels.js';
export { sqz, dif, dup } from './asdf.js';
export {
  JCAMP_DEFAULT_MAX_BYTES, JCAMP_DEFAULT_MAX_POINTS,
  type JcampDocument, type JcampEncoding, type JcampError, type JcampForm, type JcampParseOptions, type JcampSpectrum,
} from './types.js';
