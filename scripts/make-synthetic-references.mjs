#!/usr/bin/env node
/**
 * Writes the SYNTHETIC reference spectra of library/spectra/synthetic/: narcotics and explosives
 * for which no openly licensed measured infrared spectrum was at hand. Each is a sum of Lorentzian
 * bands at approximate positions of the substance's main documented mid-infrared absorption bands
 * (general spectroscopic literature; positions to within ~10 1/cm, intensities rough). They let
 * the simulators and tests exercise narcotic and explosive scenarios; they are NOT fit for
 * casework. Replace them with measured spectra from a licensed library in a deployment.
 *
 * Run after `npm run build`: node scripts/make-synthetic-references.mjs
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJcamp } from '../dist/src/jcamp/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'library', 'spectra', 'synthetic');
mkdirSync(out, { recursive: true });

/** [position 1/cm, relative intensity, half width 1/cm] */
const SUBSTANCES = {
  'cocaine-hcl': { title: 'Cocaine hydrochloride (synthetic, approximate bands)', cas: '53-21-4', bands: [[1728, 1.0, 10], [1712, 0.8, 9], [1275, 0.7, 12], [1265, 0.6, 10], [1230, 0.55, 12], [1106, 0.45, 10], [1070, 0.4, 10], [733, 0.35, 8], [2540, 0.25, 60], [2950, 0.2, 25], [1450, 0.2, 10]] },
  'heroin-base': { title: 'Diacetylmorphine (heroin) base (synthetic, approximate bands)', cas: '561-27-3', bands: [[1760, 0.9, 10], [1740, 1.0, 10], [1245, 0.85, 14], [1195, 0.5, 12], [1368, 0.35, 8], [1030, 0.3, 10], [945, 0.25, 8], [2930, 0.2, 25], [1445, 0.2, 10]] },
  'methamphetamine-hcl': { title: 'Methamphetamine hydrochloride (synthetic, approximate bands)', cas: '51-57-0', bands: [[2950, 0.7, 40], [2700, 0.5, 80], [2450, 0.3, 60], [1455, 0.45, 10], [1585, 0.2, 10], [750, 0.9, 8], [700, 1.0, 8], [1050, 0.15, 10]] },
  'mdma-hcl': { title: 'MDMA (synthetic, approximate bands)', cas: '42542-10-9', bands: [[1250, 1.0, 12], [1040, 0.85, 10], [935, 0.55, 8], [1490, 0.7, 10], [1445, 0.45, 10], [2700, 0.4, 80], [810, 0.35, 8], [2950, 0.3, 30]] },
  tnt: { title: '2,4,6-Trinitrotoluene (synthetic, approximate bands)', cas: '118-96-7', bands: [[1535, 1.0, 12], [1350, 0.9, 10], [3100, 0.15, 15], [910, 0.3, 8], [720, 0.25, 8], [790, 0.2, 8], [1610, 0.3, 8], [1085, 0.15, 8]] },
  rdx: { title: 'RDX, cyclotrimethylenetrinitramine (synthetic, approximate bands)', cas: '121-82-4', bands: [[1590, 1.0, 12], [1570, 0.8, 10], [1270, 0.85, 10], [1040, 0.45, 8], [920, 0.35, 8], [780, 0.4, 8], [3075, 0.15, 12], [1390, 0.35, 10], [1310, 0.4, 10]] },
  petn: { title: 'PETN, pentaerythritol tetranitrate (synthetic, approximate bands)', cas: '78-11-5', bands: [[1650, 1.0, 14], [1280, 0.9, 12], [1000, 0.35, 10], [870, 0.45, 10], [750, 0.3, 8], [705, 0.2, 8], [2980, 0.1, 15]] },
  'ammonium-nitrate': { title: 'Ammonium nitrate (synthetic, approximate bands)', cas: '6484-52-2', bands: [[1380, 1.0, 45], [3200, 0.6, 90], [3050, 0.45, 70], [1760, 0.15, 12], [830, 0.2, 6], [1430, 0.4, 25]] },
};

const from = 600;
const to = 3800;
const step = 2;
const n = (to - from) / step + 1;
for (const [id, s] of Object.entries(SUBSTANCES)) {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const x = from + i * step;
    let v = 0;
    for (const [c, a, w] of s.bands) v += (a * w * w) / ((x - c) ** 2 + w * w);
    y[i] = v;
  }
  const text = writeJcamp({
    title: s.title, dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: from, x1: to, y, form: 'DIFDUP', yFactor: 1e-5,
    labels: { ORIGIN: 'BorderLink Gateway, scripts/make-synthetic-references.mjs', OWNER: 'public domain (synthetic)', 'CAS REGISTRY NO': s.cas, '$SYNTHETIC': 'sum of Lorentzian bands at approximate literature band positions; not a measured spectrum' },
  });
  writeFileSync(path.join(out, `${id}.jdx`), text);
  console.log(`wrote ${id}.jdx (${n} points)`);
}
