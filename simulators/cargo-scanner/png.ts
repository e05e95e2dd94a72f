/**
 * A minimal PNG encoder for the simulator's scan images: 8-bit greyscale, no interlace, every
 * scanline with filter type 0 (none), the image data deflated by zlib in one IDAT chunk.
 * Layout (PNG specification, ISO/IEC 15948): the 8-byte signature, then chunks of
 * length (4 bytes, big-endian) | type (4 ASCII) | data | CRC-32 of type and data.
 */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected), as PNG chunks use it. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(...parts: Buffer[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const byte of p) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const t = Buffer.from(type, 'ascii');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(t, data));
  return Buffer.concat([head, t, data, crc]);
}

/** Encodes `grey` (width * height bytes, row by row, 0 black .. 255 white) as a PNG file. */
export function encodeGreyPng(width: number, height: number, grey: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new RangeError(`PNG size ${width}x${height} is out of range`);
  }
  if (grey.length !== width * height) throw new RangeError(`expected ${width * height} pixels, got ${grey.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (width + 1)] = 0; // filter: none
    raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

export interface Rect {
  /** top-left corner [x, y] */
  base: [number, number];
  /** [width, height] */
  extent: [number, number];
}

/**
 * A cargo-scan-like picture: light background, a grey load band, darker boxes where the
 * threat objects are. Deterministic for the same arguments (the same scan's image is the same bytes).
 */
export function renderScanImage(width: number, height: number, threats: readonly Rect[], loadShade = 150): Buffer {
  const px = new Uint8Array(width * height).fill(235);
  const top = Math.floor(height * 0.2);
  const bottom = Math.floor(height * 0.85);
  for (let y = top; y < bottom; y += 1) {
    for (let x = Math.floor(width * 0.05); x < Math.floor(width * 0.95); x += 1) px[y * width + x] = loadShade;
  }
  for (const r of threats) {
    const [x0, y0] = r.base;
    const [w, h] = r.extent;
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y += 1) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x += 1) px[y * width + x] = 40;
    }
  }
  return encodeGreyPng(width, height, px);
}
