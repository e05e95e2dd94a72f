/**
 * A throwaway PKI for TLS tests, made with openssl in a temp dir: a test CA, a server certificate
 * for 127.0.0.1/localhost, client certificates (CN = the given names) signed by the CA, and the
 * same client names signed by a second, unknown CA (for "a certificate from an unknown CA is
 * refused") and by the test CA but already expired. Files: ca.pem, server.pem/.key, client-<name>.pem/.key, rogue-ca.pem,
 * rogue-<name>.pem/.key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  client(name: string): { cert: string; key: string };
  rogue(name: string): { cert: string; key: string };
  expired(name: string): { cert: string; key: string };
}

export function makeTestPki(dir: string, clients: readonly string[]): TestPki {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ca = (name: string, cn: string): void => run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
  const sign = (name: string, cn: string, caName: string, ext?: string, days = 2): void => {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', String(days), ...(ext ? ['-extfile', ext] : []), '-out', `${name}.pem`]);
  };
  ca('ca', 'BorderLink Test CA');
  ca('rogue-ca', 'Unknown CA');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  sign('server', '127.0.0.1', 'ca', 'server.ext');
  for (const c of clients) {
    sign(`client-${c}`, c, 'ca');
    sign(`rogue-${c}`, c, 'rogue-ca');
    // signed by the right CA but expired yesterday (-days -1: notAfter before notBefore)
    sign(`expired-${c}`, c, 'ca', undefined, -1);
  }
  const p = (f: string): string => path.join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    client: (name) => ({ cert: p(`client-${name}.pem`), key: p(`client-${name}.key`) }),
    rogue: (name) => ({ cert: p(`rogue-${name}.pem`), key: p(`rogue-${name}.key`) }),
    expired: (name) => ({ cert: p(`expired-${name}.pem`), key: p(`expired-${name}.key`) }),
  };
}
