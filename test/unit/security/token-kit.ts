/** Test issuer: key pairs, a JWKS file in a temp dir, and signed (or deliberately broken) tokens. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { JwtSpec } from '../../../src/security/authenticator.js';

export const ISSUER = 'https://idp.border.example';
export const AUDIENCE = 'borderlink';

export interface TokenKit {
  dir: string;
  jwksFile: string;
  spec: JwtSpec;
  /** a token signed by the configured RS256 key (kid rsa-1) unless told otherwise */
  sign(claims: JWTPayload, opts?: { alg?: 'RS256' | 'ES256'; kid?: string; key?: 'rsa' | 'ec' | 'stranger'; expSecondsFromNow?: number; nbfSecondsFromNow?: number; issuer?: string; audience?: string }): Promise<string>;
  /** an unsigned token (alg none) with the given claims */
  unsigned(claims: JWTPayload): string;
  /** an HS256 token signed with an arbitrary secret */
  hmac(claims: JWTPayload): Promise<string>;
  remove(): void;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export async function createTokenKit(over: Partial<JwtSpec> = {}): Promise<TokenKit> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-jwt-'));
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('RS256', { extractable: true });
  const pub = async (k: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(k)), kid, alg, use: 'sig' });
  const jwks = { keys: [await pub(rsa.publicKey, 'rsa-1', 'RS256'), await pub(ec.publicKey, 'ec-1', 'ES256')] };
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify(jwks));
  const spec: JwtSpec = {
    issuer: ISSUER, audience: AUDIENCE, jwksFile, agencyClaim: 'agency', rolesClaim: 'roles', clockToleranceS: 30, algorithms: ['RS256', 'ES256'], ...over,
  };
  const now = (): number => Math.floor(Date.now() / 1000);
  return {
    dir,
    jwksFile,
    spec,
    async sign(claims, o = {}) {
      const which = o.key ?? (o.alg === 'ES256' ? 'ec' : 'rsa');
      const key = which === 'ec' ? ec.privateKey : which === 'stranger' ? stranger.privateKey : rsa.privateKey;
      const alg = o.alg ?? (which === 'ec' ? 'ES256' : 'RS256');
      const kid = o.kid ?? (which === 'ec' ? 'ec-1' : 'rsa-1');
      let jwt = new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).setIssuedAt()
        .setIssuer(o.issuer ?? ISSUER).setAudience(o.audience ?? AUDIENCE)
        .setExpirationTime(now() + (o.expSecondsFromNow ?? 600));
      if (o.nbfSecondsFromNow !== undefined) jwt = jwt.setNotBefore(now() + o.nbfSecondsFromNow);
      return jwt.sign(key);
    },
    unsigned(claims) {
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600, ...claims })}.`;
    },
    async hmac(claims) {
      return new SignJWT({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600, ...claims }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
        .sign(new TextEncoder().encode('a-shared-secret-of-enough-length-000'));
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
