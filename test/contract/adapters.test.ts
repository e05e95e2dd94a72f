/**
 * Runs the adapter contract for every folder in adapters/: an adapter without a contract kit
 * (test/contract/kits/<id>.ts, which names its simulator) fails here instead of being skipped.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADAPTERS_DIR, adapterContract, type AdapterContractKit } from './adapter-contract.js';

const ids = readdirSync(ADAPTERS_DIR).filter((f) => statSync(path.join(ADAPTERS_DIR, f)).isDirectory()).sort();
const kitsDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'kits');

describe('every adapter has a contract kit', () => {
  it.each(ids)('%s', (id) => {
    expect(existsSync(path.join(kitsDir, `${id}.ts`)), `test/contract/kits/${id}.ts is missing`).toBe(true);
  });
});

for (const id of ids) {
  const file = path.join(kitsDir, `${id}.ts`);
  if (!existsSync(file)) continue;
  const { kit } = (await import(file)) as { kit: AdapterContractKit };
  adapterContract(kit);
}
