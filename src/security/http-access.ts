/**
 * Access control on fastify: `request.identity`, set by one onRequest hook of the secured scope,
 * and one permission per route group.
 *
 * Hook order inside the secured scope (fastify runs a scope's hooks before its children's, each
 * list in the order added):
 *
 *   identify               authenticates; sets request.identity or remembers the failure; never replies
 *   (rate limit)           keyed by request.identity, or the client address when there is none,
 *                          so failed attempts count too (server.ts adds it here)
 *   refuseUnauthenticated  401/403 for a failed authentication
 *   requirePermission(p)   per route group: 403 unless the identity's roles grant p
 *   requireDeclared        preHandler: 403 for a route whose group declared no permission, so a
 *                          route added without one fails closed instead of open
 *
 * Every decision of the secured scope is reported once through onAccess (allow or deny), for
 * the audit log. The permission hook runs before any route-level hook (media-type screens,
 * body parsing), so a client without the permission learns nothing about the route.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions, FastifyReply, FastifyRequest, onRequestAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { problemOf, sendProblem } from '../http/problem.js';
import type { Authenticator, AuthFailure } from './authenticator.js';
import { REALM } from './authenticator.js';
import { can, type Identity, type Permission } from './identity.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** who sent the request: set in the secured scope (/v1, /metrics); undefined elsewhere or when refused */
    identity: Identity | undefined;
  }
}

export type AccessOutcome = 'allow' | 'deny';

/**
 * Called once per request of the secured scope with the decision. Identity undefined: the
 * request was refused before it had one (no or bad credentials). Must not throw (it is guarded).
 */
export type OnAccess = (identity: Identity | undefined, request: FastifyRequest, outcome: AccessOutcome, reason?: string) => void;

export interface AccessControl {
  identify: onRequestAsyncHookHandler;
  refuseUnauthenticated: onRequestAsyncHookHandler;
  requirePermission(permission: Permission): onRequestAsyncHookHandler;
  requireDeclared: preHandlerAsyncHookHandler;
  /** wraps a route plugin so that every route it adds requires the permission */
  guarded<O extends FastifyPluginOptions>(permission: Permission, plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O>;
}

/** Adds `request.identity` (undefined until identified). Call once on the root instance. */
export function decorateIdentity(app: FastifyInstance): void {
  if (!app.hasRequestDecorator('identity')) app.decorateRequest('identity', undefined);
}

function sendFailure(reply: FastifyReply, failure: AuthFailure): FastifyReply {
  reply.header('www-authenticate', failure.challenge);
  return sendProblem(reply, problemOf(failure.code, failure.status, failure.detail));
}

export function createAccessControl(authenticator: Authenticator, onAccess?: OnAccess): AccessControl {
  const failures = new WeakMap<FastifyRequest, AuthFailure>();
  const checked = new WeakSet<FastifyRequest>();

  const report = (identity: Identity | undefined, request: FastifyRequest, outcome: AccessOutcome, reason?: string): void => {
    if (onAccess === undefined) return;
    try {
      onAccess(identity, request, outcome, reason);
    } catch (e) {
      // the audit sink failing must not turn into a client error; it reports its own failures
      request.log.error({ err: e }, 'access callback failed');
    }
  };

  const identify: onRequestAsyncHookHandler = async (request) => {
    const result = await authenticator.authenticate(request.headers);
    if (result.ok) request.identity = result.identity;
    else failures.set(request, result);
  };

  const refuseUnauthenticated: onRequestAsyncHookHandler = async (request, reply) => {
    const failure = failures.get(request);
    if (failure === undefined) return;
    report(undefined, request, 'deny', failure.reason);
    return sendFailure(reply, failure);
  };

  const requirePermission = (permission: Permission): onRequestAsyncHookHandler => async (request, reply) => {
    // refuseUnauthenticated has answered requests without an identity; this is belt and braces
    const identity = request.identity;
    checked.add(request);
    if (identity !== undefined && can(identity, permission)) {
      report(identity, request, 'allow', permission);
      return;
    }
    const reason = `missing-permission:${permission}`;
    report(identity, request, 'deny', reason);
    if (identity === undefined) {
      reply.header('www-authenticate', `Bearer realm="${REALM}"`);
      return sendProblem(reply, problemOf('BL_ERR_HTTP_UNAUTHORIZED', 401, 'The request carries no valid credentials.'));
    }
    reply.header('www-authenticate', `Bearer realm="${REALM}", error="insufficient_scope"`);
    return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, `Your roles (${identity.roles.join(', ') || 'none'}) do not grant ${permission}.`));
  };

  const requireDeclared: preHandlerAsyncHookHandler = async (request, reply) => {
    if (checked.has(request)) return;
    report(request.identity, request, 'deny', 'no-permission-declared');
    request.log.error({ url: request.routeOptions.url }, 'route in the secured scope declares no permission: refused');
    return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, 'This route is not open to any role.'));
  };

  const guarded = <O extends FastifyPluginOptions>(permission: Permission, plugin: FastifyPluginAsync<O>): FastifyPluginAsync<O> => async (scope, opts) => {
    scope.addHook('onRequest', requirePermission(permission));
    // the prefix was applied to this wrapper's scope already; passing it on would apply it twice
    const { prefix: _prefix, ...inner } = opts as O & { prefix?: string };
    await scope.register(plugin, inner as O);
  };

  return { identify, refuseUnauthenticated, requirePermission, requireDeclared, guarded };
}
