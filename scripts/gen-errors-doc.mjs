// Regenerates docs/errors.md from dist/src/errors.js (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { ERROR_CODES } from '../dist/src/errors.js';

const rows = Object.entries(ERROR_CODES).map(([code, { kind, summary }]) => `| \`${code}\` | ${kind} | ${summary} |`);
writeFileSync(new URL('../docs/errors.md', import.meta.url), `# Error codes

Every error the gateway raises, returns over HTTP (in the \`code\` member of an
\`application/problem+json\` body) or stores in quarantine carries one of these codes.
Codes are append-only: a code is never renamed, reused or removed. \`test/meta/errors.test.ts\`
keeps this list and \`src/errors.ts\` in step (regenerate with \`node scripts/gen-errors-doc.mjs\`
after \`npm run build\`).

The kind drives policy: **input** bad data from a device or client (quarantined / HTTP 4xx, never
retried); **transient** the world is briefly unavailable (retried with backoff); **config** the
configuration is wrong (refuse to start, exit 2); **usage** the command line is wrong (exit 2);
**internal** a bug or broken invariant (logged; exit 1 if it cannot be contained).

| code | kind | meaning |
|---|---|---|
${rows.join('\n')}
`);
