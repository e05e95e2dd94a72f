/**
 * Small N42.42 documents for unit tests, written inline so each test shows the elements it is
 * about. Synthetic, from the public 2012/2006 structure; see test/fixtures/n42/README.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/package-root.js';

export const NS_2012 = 'http://physics.nist.gov/N42/2011/N42';
export const NS_2006 = 'http://physics.nist.gov/Divisions/Div846/Gp4/ANSIN4242/2005/ANSIN4242';

export const fixture = (name: string): Buffer => readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'n42', name));

export function doc2012(body: string, opts: { uuid?: string; extraNs?: string } = {}): Buffer {
  const uuid = opts.uuid === undefined ? '' : ` n42DocUUID="${opts.uuid}"`;
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<RadInstrumentData xmlns="${NS_2012}"${opts.extraNs ?? ''}${uuid}>\n${body}\n</RadInstrumentData>\n`);
}

export function doc2006(body: string, extraNs = ''): Buffer {
  return Buffer.from(`<?xml version="1.0"?>\n<N42InstrumentData xmlns="${NS_2006}"${extraNs}>\n${body}\n</N42InstrumentData>\n`);
}

export const detector = (id: string, category: string): string =>
  `<RadDetectorInformation id="${id}"><RadDetectorCategoryCode>${category}</RadDetectorCategoryCode></RadDetectorInformation>`;

export const gross = (det: string, counts: number | string, live?: string): string =>
  `<GrossCounts radDetectorInformationReference="${det}">${live === undefined ? '' : `<LiveTimeDuration>${live}</LiveTimeDuration>`}<CountData>${counts}</CountData></GrossCounts>`;

export function measurement(o: {
  id: string; cls?: string; start?: string; real?: string; occupied?: boolean; groups?: string; content?: string;
}): string {
  return `<RadMeasurement id="${o.id}"${o.groups === undefined ? '' : ` radMeasurementGroupReferences="${o.groups}"`}>`
    + `<MeasurementClassCode>${o.cls ?? 'Foreground'}</MeasurementClassCode>`
    + (o.start === undefined ? '' : `<StartDateTime>${o.start}</StartDateTime>`)
    + (o.real === undefined ? '' : `<RealTimeDuration>${o.real}</RealTimeDuration>`)
    + (o.content ?? '')
    + (o.occupied === undefined ? '' : `<OccupancyIndicator>${o.occupied}</OccupancyIndicator>`)
    + '</RadMeasurement>';
}

export const alarm = (category: string, detectors?: string, extra = ''): string =>
  `<RadAlarm${detectors === undefined ? '' : ` radDetectorInformationReferences="${detectors}"`}>${extra}<RadAlarmCategoryCode>${category}</RadAlarmCategoryCode></RadAlarm>`;

export const analysis = (content: string, refs = ''): string => `<AnalysisResults${refs === '' ? '' : ` ${refs}`}>${content}</AnalysisResults>`;
