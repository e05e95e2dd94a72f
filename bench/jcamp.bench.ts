/**
 * JCAMP-DX reader benchmark: a 100k-point spectrum written by writeJcamp in AFFN (six decimals,
 * like instrument exports) and in DIF/DUP, parsed repeatedly; prints the first (cold) and the
 * median parse time. Not a test: it asserts nothing. The target is "well under 100 ms".
 *
 *   node dist/bench/jcamp.bench.js            (after npm run build)
 */
import { pathToFileURL } from 'node:url';
import { parseJcamp, writeJcamp } from '../src/jcamp/index.js';

export interface JcampBenchResult {
  points: number;
  forms: { form: 'AFFN' | 'DIFDUP'; bytes: number; coldMs: number; medianMs: number }[];
}

export function benchJcamp(points = 100_000, runs = 15): JcampBenchResult {
  const y = Array.from({ length: points }, (_, i) => Math.round(1e6 * (0.02 + 0.8 * Math.exp(-(((i - points / 3) / (points / 40)) ** 2)) + 0.001 * Math.sin(i))) / 1e6);
  const forms = (['AFFN', 'DIFDUP'] as const).map((form) => {
    const bytes = Buffer.from(writeJcamp({ title: 'bench', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: 400, x1: 4000, y, form }));
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const result = parseJcamp(bytes);
      times.push(performance.now() - t0);
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return { form, bytes: bytes.length, coldMs: round(times[0] ?? 0), medianMs: round(sorted[Math.floor(sorted.length / 2)] ?? 0) };
  });
  return { points, forms };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(benchJcamp()));
}
