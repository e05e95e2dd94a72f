/**
 * The gateway's OPC UA client PKI, one folder shared by every OPC UA device of the process
 * (default {dataDir}/pki/opcua), kept across restarts so a server that trusts the gateway once
 * keeps trusting it:
 *
 *   own/certs/client_certificate.pem   the gateway's certificate (self-signed, created once, 10 years)
 *   own/private/private_key.pem        its key (2048-bit RSA)
 *   trusted/certs/                     server certificates the gateway trusts
 *   rejected/                          server certificates it was shown and refused
 *   pinned/<deviceId>.sha1             trust-on-first-use: the thumbprint first accepted for a device
 *
 * Trust is decided here, not inside node-opcua's connect(): the connector fetches the server's
 * certificate from GetEndpoints, decides, and only then hands the accepted certificate to the
 * client, so a refusal says exactly which file the operator has to move, and trust-on-first-use
 * can pin per device. A server whose certificate is unknown is refused (and its certificate lands
 * in rejected/), unless the device says `trustUnknownServer: true` and has pinned nothing yet.
 * An operator trusts a server by MOVING its file from rejected/ into trusted/certs/ (a file left in
 * both is treated as rejected); the folders are watched, no restart needed.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

export interface ClientPki {
  readonly dir: string;
  readonly cm: OPCUACertificateManager;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  readonly trustedDir: string;
  readonly rejectedDir: string;
  /** Decides whether a server certificate (or chain) is trusted for this device. */
  checkServer(chain: Buffer, opts: ServerTrustOptions): Promise<TrustDecision>;
  /** Drops one user of the shared PKI; the last one disposes it (file watchers). */
  release(): Promise<void>;
}

export interface ServerTrustOptions {
  deviceId: string;
  trustUnknownServer: boolean;
  /** a built-in simulator's certificate, trusted for this device without the store */
  pinned?: Buffer;
}

export type TrustDecision =
  | { ok: true; how: 'trusted' | 'pinned' | 'first-use'; thumbprint: string }
  | { ok: false; message: string; thumbprint: string; rejectedFile?: string };

export const DEFAULT_APPLICATION_URI = 'urn:borderlink:gateway:opcua-client';
export const APPLICATION_NAME = 'BorderLink Gateway';

/** The first certificate of a DER chain (certificates concatenated, as OPC UA sends a chain). */
export function leafCertificate(chain: Buffer): Buffer {
  if (chain.length < 2 || chain[0] !== 0x30) return chain;
  const first = chain[1] as number;
  let header = 2;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 4 || chain.length < 2 + n) return chain;
    len = 0;
    for (let i = 0; i < n; i += 1) len = len * 256 + (chain[2 + i] as number);
    header = 2 + n;
  }
  return chain.length >= header + len ? chain.subarray(0, header + len) : chain;
}

export function thumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

function describeCertificate(der: Buffer): string {
  try {
    const x = new X509Certificate(der);
    return `subject "${x.subject.replace(/\n/g, ', ')}", valid ${x.validFrom} to ${x.validTo}`;
  } catch {
    return 'unparsable certificate';
  }
}

function pemToDer(pem: string): Buffer | undefined {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return m ? Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64') : undefined;
}

/** The file in `dir` holding this certificate, if any (node-opcua names them by subject and thumbprint). */
function findCertificateFile(dir: string, der: Buffer): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    if (!/\.(pem|der|crt)$/i.test(n)) continue;
    try {
      const raw = readFileSync(path.join(dir, n));
      const candidate = n.toLowerCase().endsWith('.der') ? raw : pemToDer(raw.toString('utf8'));
      if (candidate && leafCertificate(candidate).equals(der)) return path.join(dir, n);
    } catch {
      /* unreadable: not ours to judge */
    }
  }
  return undefined;
}

function safeDeviceFile(deviceId: string): string {
  return deviceId.replace(/[^A-Za-z0-9._-]/g, '_');
}

const shared = new Map<string, { users: number; pki: Promise<ClientPki> }>();

/**
 * Opens (creating on first use) the PKI folder; shared by every caller with the same folder until
 * each has released it. Creating the key and certificate takes a few seconds, once.
 */
export function openClientPki(dir: string, applicationUri: string, log: Logger): Promise<ClientPki> {
  const key = path.resolve(dir);
  const known = shared.get(key);
  if (known) {
    known.users += 1;
    return known.pki;
  }
  const entry = { users: 1, pki: createPki(key, applicationUri, log) };
  shared.set(key, entry);
  entry.pki.catch(() => shared.delete(key));
  return entry.pki;
}

async function createPki(dir: string, applicationUri: string, log: Logger): Promise<ClientPki> {
  mkdirSync(dir, { recursive: true });
  const cm = new OPCUACertificateManager({ rootFolder: dir, automaticallyAcceptUnknownCertificate: false, keySize: 2048 });
  await cm.initialize();
  const certificateFile = path.join(dir, 'own', 'certs', 'client_certificate.pem');
  const privateKeyFile = cm.privateKey;
  if (!existsSync(certificateFile)) {
    const host = hostname();
    log.info({ pkiDir: dir, applicationUri }, 'creating the OPC UA client certificate (once)');
    await cm.createSelfSignedCertificate({
      applicationUri,
      dns: [host],
      subject: `/CN=${APPLICATION_NAME}@${host}/O=BorderLink`,
      startDate: new Date(),
      validity: 3650,
      outputFile: certificateFile,
    });
  } else {
    try {
      const san = new X509Certificate(readFileSync(certificateFile)).subjectAltName ?? '';
      if (!san.includes(`URI:${applicationUri}`)) {
        log.warn({ pkiDir: dir, applicationUri, subjectAltName: san },
          'the OPC UA client certificate names another application URI; servers may refuse it. Delete own/ in the PKI folder to create a new one (servers must then trust it again)');
      }
    } catch (e) {
      log.warn({ err: describeError(e), certificateFile }, 'the OPC UA client certificate cannot be read');
    }
  }
  const trustedDir = cm.trustedFolder;
  const rejectedDir = cm.rejectedFolder;
  const pinnedDir = path.join(dir, 'pinned');
  const key = dir;

  const pki: ClientPki = {
    dir,
    cm,
    certificateFile,
    privateKeyFile,
    trustedDir,
    rejectedDir,
    async checkServer(chain, opts) {
      const leaf = leafCertificate(chain);
      const tp = thumbprint(leaf);
      if (opts.pinned && leafCertificate(opts.pinned).equals(leaf)) return { ok: true, how: 'pinned', thumbprint: tp };
      const status = await cm.checkCertificate(chain);
      if (status.isGood()) return { ok: true, how: 'trusted', thumbprint: tp };
      const pinFile = path.join(pinnedDir, `${safeDeviceFile(opts.deviceId)}.sha1`);
      const pinnedBefore = existsSync(pinFile) ? readFileSync(pinFile, 'utf8').trim() : undefined;
      const untrusted = status.name === 'BadCertificateUntrusted';
      if (untrusted && opts.trustUnknownServer && pinnedBefore === undefined) {
        // trust on first use: this certificate, for this device, from now on
        await cm.trustCertificate(leaf);
        mkdirSync(pinnedDir, { recursive: true });
        writeFileSync(pinFile, `${tp}\n`, { mode: 0o644 });
        return { ok: true, how: 'first-use', thumbprint: tp };
      }
      const rejectedFile = findCertificateFile(rejectedDir, leaf);
      const what = describeCertificate(leaf);
      let message: string;
      if (!untrusted) {
        message = `server certificate refused: ${status.name} (${what}, thumbprint ${tp})`;
      } else if (pinnedBefore !== undefined && pinnedBefore !== tp) {
        message = `server certificate changed since first use (pinned ${pinnedBefore}, now ${tp}, ${what}): refused. If the change is expected, move ${rejectedFile ?? `the certificate in ${rejectedDir}`} to ${trustedDir}/`;
      } else {
        message = `server certificate is not trusted (${what}, thumbprint ${tp}): move ${rejectedFile ?? `its file in ${rejectedDir}`} to ${trustedDir}/ to trust it`;
      }
      return { ok: false, message, thumbprint: tp, ...(rejectedFile ? { rejectedFile } : {}) };
    },
    async release() {
      const entry = shared.get(key);
      if (entry) {
        entry.users -= 1;
        if (entry.users > 0) return;
        shared.delete(key);
      }
      try {
        await cm.dispose();
      } catch (e) {
        log.debug({ err: describeError(e) }, 'OPC UA certificate manager dispose failed');
      }
    },
  };
  return pki;
}
