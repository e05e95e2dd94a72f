/**
 * RFC 9457 problem details. Every error response of the API goes through here, so clients see
 * one shape carrying the coded error, and nothing internal (stack, path, SQL) ever leaves.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { ERROR_CODES, isBorderlinkError, type ErrorCode } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Where one problem with a request sits. */
export interface ProblemIssue {
  in: 'query' | 'path' | 'header' | 'body';
  /** the parameter name, when one is at fault */
  name?: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  /** every problem found, for 400s */
  errors?: ProblemIssue[];
}

/** Stable, non-dereferenceable problem type URI per code (docs/errors.md explains each code). */
export function problemType(code: ErrorCode): string {
  return `urn:borderlink:error:${code}`;
}

export function problemOf(code: ErrorCode, status: number, detail: string, errors?: ProblemIssue[]): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemType(code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code,
  };
  if (errors !== undefined) problem.errors = errors;
  return problem;
}

export function badRequest(errors: ProblemIssue[]): ProblemDetails {
  const detail = errors.map((e) => (e.name === undefined ? e.message : `${e.name}: ${e.message}`)).join('; ');
  return problemOf('BL_ERR_HTTP_BAD_REQUEST', 400, detail || 'The request is malformed.', errors);
}

export function notFound(detail: string, code: ErrorCode = 'BL_ERR_HTTP_NOT_FOUND'): ProblemDetails {
  return problemOf(code, 404, detail);
}

/**
 * Sends a problem, logging the one line a rejected request gets (failures are logged with their
 * cause by the error handler instead). The body is serialised here rather than by the route's
 * response schema, so `errors` survives and the content type is the problem one.
 */
export function sendProblem(reply: FastifyReply, problem: ProblemDetails): FastifyReply {
  if (problem.status < 500) {
    const { method, url } = reply.request;
    reply.log.info({ method, url, status: problem.status, code: problem.code, detail: problem.detail }, 'request rejected');
  }
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

const CONTEXT_TO_LOCATION: Record<string, ProblemIssue['in']> = {
  querystring: 'query',
  params: 'path',
  headers: 'header',
  body: 'body',
};

/** Turns ajv errors into issues a client can act on: which parameter, what is wrong. */
export function validationIssues(errors: readonly FastifySchemaValidationError[], context: string | undefined): ProblemIssue[] {
  const where = CONTEXT_TO_LOCATION[context ?? ''] ?? 'query';
  return errors.map((e) => {
    const fromPath = e.instancePath.replace(/^\//, '').split('/')[0];
    const params = e.params;
    const named =
      typeof params['additionalProperty'] === 'string' ? params['additionalProperty']
        : typeof params['missingProperty'] === 'string' ? params['missingProperty']
          : typeof params['property'] === 'string' && e.keyword === 'dependencies' ? params['property']
            : fromPath;
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') message = 'is not a known parameter';
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
      message = `must be one of ${params['allowedValues'].map(String).join(', ')}`;
    }
    const issue: ProblemIssue = { in: where, message };
    if (named !== undefined && named !== '') issue.name = named;
    return issue;
  });
}

/** Adds issues about parameters not already reported (the schema and the handler may both object). */
export function mergeIssues(into: ProblemIssue[], more: readonly ProblemIssue[]): ProblemIssue[] {
  for (const issue of more) {
    if (!into.some((i) => i.in === issue.in && i.name === issue.name)) into.push(issue);
  }
  return into;
}

function statusForCode(code: ErrorCode): number {
  switch (code) {
    case 'BL_ERR_HTTP_NOT_FOUND':
    case 'BL_ERR_ARTIFACT_NOT_FOUND':
      return 404;
    case 'BL_ERR_HTTP_UNAUTHORIZED':
      return 401;
    case 'BL_ERR_HTTP_FORBIDDEN':
      return 403;
    case 'BL_ERR_HTTP_RATE_LIMITED':
      return 429;
    default:
      switch (ERROR_CODES[code].kind) {
        case 'input': return 400;
        case 'transient': return 503;
        default: return 500;
      }
  }
}

/** A file path: an absolute POSIX path of two or more segments (not one of our /v1 URLs), a Windows drive path, or a file URL. */
const FILE_PATH = /(?:file:\/\/\S*|[A-Za-z]:\\[^\s'"]*|(?<![\w.:/-])\/(?!v1\/)[\w.@+-]+\/[^\s'"]*)/g;
/** A stack frame line, in case one rides along in a message. */
const STACK_LINE = /\n\s*at .*/g;

/**
 * A message fit for a client: first line only, no stack frames, no file paths, bounded length.
 * Input-kind messages are written for clients already; this is the net under them, so a message
 * that ever quotes a path (a folder, the data dir) does not tell a client how the host is laid out.
 */
export function clientSafeMessage(message: string): string {
  const firstLine = message.replace(STACK_LINE, '').split('\n')[0] ?? '';
  const scrubbed = firstLine.replace(FILE_PATH, '[path]');
  return scrubbed.length > 500 ? `${scrubbed.slice(0, 500)}...` : scrubbed;
}

/** Maps anything a handler threw to a problem; internal failures say nothing about their cause. */
export function problemForError(error: unknown): ProblemDetails {
  if (isBorderlinkError(error)) {
    const status = statusForCode(error.code);
    if (status === 500) return problemOf('BL_ERR_HTTP_INTERNAL', 500, 'The server failed while handling the request.');
    if (status === 503) return problemOf(error.code, 503, 'A service the request needs is briefly unavailable; retry later.');
    // the store refusing a query is a bad request like any other; its message names the parameter
    if (status === 400) return badRequest([{ in: 'query', message: clientSafeMessage(error.message) }]);
    // input-kind messages are written for clients; they carry no internals
    return problemOf(error.code, status, clientSafeMessage(error.message));
  }
  const fe = error as Partial<FastifyError> | null;
  if (fe !== null && typeof fe === 'object') {
    if (Array.isArray(fe.validation)) return badRequest(validationIssues(fe.validation, fe.validationContext));
    const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
    // fastify's own client errors (body too large, bad content type, bad JSON) have safe messages
    if (status >= 400 && status < 500 && typeof fe.code === 'string' && fe.code.startsWith('FST_')) {
      return problemOf('BL_ERR_HTTP_BAD_REQUEST', status, clientSafeMessage(fe.message ?? 'The request is malformed.'));
    }
    if (status >= 400 && status < 500) return problemOf('BL_ERR_HTTP_BAD_REQUEST', status, 'The request is malformed.');
  }
  return problemOf('BL_ERR_HTTP_INTERNAL', 500, 'The server failed while handling the request.');
}

/** Installs the problem-details error and not-found handlers; logs one line per failed request. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = problemForError(error);
    if (problem.status >= 500) {
      // the cause goes to the log only: the client gets no stack, path or message
      request.log.error({ method: request.method, url: request.url, status: problem.status, code: problem.code, err: error }, 'request failed');
    }
    if (reply.sent || reply.raw.headersSent) return;
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    return sendProblem(reply, notFound(`No route ${request.method} ${path}.`));
  });
}
