/** A minimal Server-Sent Events client over http.get, for tests: collects frames and comments. */
import http from 'node:http';

export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  comments: string[];
  /** resolves when at least n frames have arrived (rejects if the stream ends first) */
  waitForFrames(n: number): Promise<SseFrame[]>;
  waitForComment(text: string): Promise<void>;
  /** resolves when the server ends the stream */
  ended: Promise<void>;
  close(): void;
}

function parseBlock(block: string, client: SseClient): void {
  const frame: SseFrame = { data: '' };
  const data: string[] = [];
  let isFrame = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      client.comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') { frame.id = value; isFrame = true; }
    if (field === 'event') { frame.event = value; isFrame = true; }
    if (field === 'data') { data.push(value); isFrame = true; }
  }
  if (isFrame) {
    frame.data = data.join('\n');
    client.frames.push(frame);
  }
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let text = '';
      let endedResolve: () => void = () => undefined;
      const waiters = new Set<() => void>();
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames: [],
        comments: [],
        ended: new Promise<void>((r) => { endedResolve = r; }),
        waitForFrames(n) {
          return new Promise((ok, fail) => {
            const check = (): void => {
              if (client.frames.length >= n) { waiters.delete(check); ok(client.frames.slice()); }
              else if (res.complete || res.destroyed) { waiters.delete(check); fail(new Error(`stream ended after ${client.frames.length} of ${n} frames`)); }
            };
            waiters.add(check);
            check();
          });
        },
        waitForComment(wanted) {
          return new Promise((ok) => {
            const check = (): void => {
              if (client.comments.includes(wanted)) { waiters.delete(check); ok(); }
            };
            waiters.add(check);
            check();
          });
        },
        close() {
          req.destroy();
        },
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        let cut = text.indexOf('\n\n');
        while (cut !== -1) {
          parseBlock(text.slice(0, cut), client);
          text = text.slice(cut + 2);
          cut = text.indexOf('\n\n');
        }
        for (const w of [...waiters]) w();
      });
      const finish = (): void => {
        endedResolve();
        for (const w of [...waiters]) w();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve(client);
    });
    req.on('error', reject);
  });
}
