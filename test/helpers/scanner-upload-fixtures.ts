/** A cargo scanner's result upload for tests: the report JSON and a multipart body built by fetch's own encoder. */

/** A valid scan report (one container, one contraband threat object on image `top`). */
export function scannerReport(scanId: string, extra: Record<string, unknown> = {}, region: { base: [number, number]; extent: [number, number] } = { base: [10, 10], extent: [20, 10] }): string {
  return JSON.stringify({
    scanId,
    scanTime: '2026-11-23T10:47:55.300Z',
    alarmDecision: 'ALARM',
    conveyances: [{ type: 'container', id: 'CSQU3054383', confidence: 0.94 }],
    threatObjects: [{ id: '1', category: 'CONTRABAND', assessment: 'HIGH_THREAT', probability: 0.87, image: 'top', ...region }],
    images: [{ id: 'top', mediaType: 'image/png', kind: 'image' }],
    ...extra,
  });
}

export interface UploadPart {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
}

/** The bytes and content type of a multipart/form-data body holding these parts. */
export async function multipartBody(parts: readonly UploadPart[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const p of parts) {
    if (typeof p.value === 'string' && p.filename === undefined) form.append(p.name, p.value);
    else form.append(p.name, new Blob([p.value], { type: p.type ?? 'application/octet-stream' }), p.filename ?? 'file');
  }
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type') as string } };
}
