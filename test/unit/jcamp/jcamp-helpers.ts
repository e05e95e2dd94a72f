/**
 * Shared helpers for the JCAMP-DX tests: fixture access and small assertions that turn a Result
 * into its value or its error with a readable message.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/package-root.js';
import { parseJcamp, type JcampDocument, type JcampError, type JcampParseOptions } from '../../../src/jcamp/index.js';

export const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'jcamp');

export const fixture = (rel: string): Buffer => readFileSync(path.join(FIXTURES, rel));

export const fixtureNames = (dir: string): string[] => readdirSync(path.join(FIXTURES, dir)).filter((f) => /\.(dx|jdx)$/.test(f)).sort();

export function parsed(input: string | Buffer, opts?: JcampParseOptions): JcampDocument {
  const r = parseJcamp(input, opts);
  if (!r.ok) throw new Error(`expected a document, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

export function failure(input: string | Buffer, opts?: JcampParseOptions): JcampError {
  const r = parseJcamp(input, opts);
  if (r.ok) throw new Error('expected a failure, got a document');
  return r.error;
}

/** A header value read with a plain regular expression, independently of the reader. */
export function headerValue(text: string, label: string): string | undefined {
  const m = new RegExp(`^##${label}=(.*)$`, 'm').exec(text);
  return m === null ? undefined : (m[1] as string).trim();
}

/** The data lines of the first table, independently of the reader. */
export function dataLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##(XYDATA|XYPOINTS|PEAKTABLE)=/.test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('##'));
  return lines.slice(start + 1, end).filter((l) => l.trim() !== '');
}

/** A minimal single-block document around a data table. */
export function doc(header: string[], table: string, rows: string[], trailer: string[] = []): string {
  return [...header, table, ...rows, ...trailer, '##END='].join('\n');
}
