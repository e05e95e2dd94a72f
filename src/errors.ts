/**
 * Every coded error of the gateway. Codes are append-only: never rename or reuse one.
 * docs/errors.md lists each code; test/meta/errors.test.ts checks the two agree.
 *
 * The kind drives policy:
 *   input      bad data from a device or client: quarantine / 4xx, never retried
 *   transient  the world is briefly unavailable (network, broker, device): retry with backoff
 *   config     the configuration is wrong: refuse to start, exit 2
 *   usage      the command line is wrong: exit 2
 *   internal   a bug or a broken invariant: log loudly, exit 1 if it cannot be contained
 */
export type ErrorKind = 'input' | 'transient' | 'config' | 'usage' | 'internal';

export const ERROR_CODES = {
  BL_ERR_CONFIG_INVALID: { kind: 'config', summary: 'The configuration file failed validation.' },
  BL_ERR_CONFIG_UNREADABLE: { kind: 'config', summary: 'The configuration file could not be read or parsed as YAML.' },
  BL_ERR_CONFIG_INSECURE_BIND: { kind: 'config', summary: 'A listener would bind beyond loopback without credentials.' },
  BL_ERR_CONFIG_SECRET_FILE: { kind: 'config', summary: 'A *File secret could not be read.' },
  BL_ERR_CONFIG_UNKNOWN_ADAPTER: { kind: 'config', summary: 'A device names an adapter that is not installed.' },
  BL_ERR_CONFIG_DEVICE_OPTIONS: { kind: 'config', summary: "A device's options do not match its adapter's options schema." },
  BL_ERR_USAGE: { kind: 'usage', summary: 'The command line could not be understood.' },
  BL_ERR_PROFILE_INVALID: { kind: 'config', summary: 'A declarative profile failed validation or compilation.' },
  BL_ERR_ADAPTER_INVALID: { kind: 'config', summary: 'An adapter module does not export a valid adapter definition.' },
  BL_ERR_MODBUS_EXCEPTION: { kind: 'input', summary: 'The Modbus device answered with an exception code.' },
  BL_ERR_MODBUS_MALFORMED_REPLY: { kind: 'input', summary: 'A Modbus reply had the wrong length, function or framing.' },
  BL_ERR_MODBUS_TIMEOUT: { kind: 'transient', summary: 'A Modbus device did not answer within its timeout.' },
  BL_ERR_CONNECT_FAILED: { kind: 'transient', summary: 'A connection to a device could not be opened.' },
  BL_ERR_DECODE_VALUE_OUT_OF_RANGE: { kind: 'input', summary: 'A decoded value lies outside the range its profile allows.' },
  BL_ERR_DECODE_NOT_A_NUMBER: { kind: 'input', summary: 'A decoded floating-point value is NaN or infinite.' },
  BL_ERR_DECODE_SHORT_FRAME: { kind: 'input', summary: 'A frame holds fewer bytes than its decoder needs.' },
  BL_ERR_NORMALISE_FAILED: { kind: 'input', summary: 'A decoded record could not be turned into an event.' },
  BL_ERR_SCHEMA_VIOLATION: { kind: 'input', summary: 'A normalised event does not satisfy the detection-event v1 schema.' },
  BL_ERR_ADAPTER_THREW: { kind: 'internal', summary: 'An adapter function threw instead of returning a failure.' },
  BL_ERR_OUTBOX_CLOSED: { kind: 'internal', summary: 'The outbox was used after it was closed.' },
  BL_ERR_OUTBOX_WRITE: { kind: 'transient', summary: 'The outbox could not write to its database.' },
  BL_ERR_PUBLISH_FAILED: { kind: 'transient', summary: 'The broker did not accept a publish.' },
  BL_ERR_BROKER_START: { kind: 'config', summary: 'The embedded MQTT broker could not listen on its address.' },
  BL_ERR_HTTP_START: { kind: 'config', summary: 'The REST server could not listen on its address.' },
  BL_ERR_HTTP_NOT_FOUND: { kind: 'input', summary: 'The requested resource does not exist.' },
  BL_ERR_HTTP_BAD_REQUEST: { kind: 'input', summary: 'The request is malformed (query, parameters or body).' },
  BL_ERR_HTTP_UNAUTHORIZED: { kind: 'input', summary: 'The request carries no valid credentials.' },
  BL_ERR_HTTP_INTERNAL: { kind: 'internal', summary: 'The server failed while handling the request.' },
  BL_ERR_SIMULATOR: { kind: 'config', summary: 'A simulator could not start.' },
  BL_ERR_SHUTDOWN_TIMEOUT: { kind: 'internal', summary: 'A component did not stop within its timeout.' },
  BL_ERR_MODBUS_ILLEGAL_ADDRESS: { kind: 'input', summary: 'The Modbus device reports the requested registers do not exist (exception 2).' },
  BL_ERR_DEVICE_UNRESPONSIVE: { kind: 'transient', summary: 'A device accepted the connection but stopped answering.' },
  BL_ERR_PROFILE_EMIT: { kind: 'input', summary: "A profile's emit rule could not build an event from the decoded values." },
  BL_ERR_EVENT_ENCODE: { kind: 'internal', summary: 'An event could not be encoded for the wire (JSON or protobuf).' },
  BL_ERR_ARTIFACT_NOT_FOUND: { kind: 'input', summary: 'No artifact is stored under that sha256.' },
  BL_ERR_HTTP_RATE_LIMITED: { kind: 'transient', summary: 'The client sent too many requests.' },
  BL_ERR_OUTBOX_OPEN: { kind: 'config', summary: 'The outbox database could not be opened or migrated (unwritable path, corrupt file, schema newer than this gateway).' },
  BL_ERR_OUTBOX_REJECTED: { kind: 'internal', summary: 'The outbox refused a batch that breaks an invariant (duplicate eventId, event of another device); the rest of its group commit was kept.' },
  BL_ERR_OUTBOX_QUERY_INVALID: { kind: 'input', summary: 'An event-store query is invalid (bad cursor, afterSequence without deviceId, bad time or limit).' },
  BL_ERR_EVENT_DECODE: { kind: 'input', summary: 'A protobuf payload is not a well-formed detection event (bad bytes, unknown or unspecified enum, bad time).' },
  BL_ERR_SCHEMA_LOAD: { kind: 'internal', summary: 'The detection-event JSON Schema or .proto shipped with the gateway could not be read or compiled.' },
  BL_ERR_PACKAGE_ROOT_NOT_FOUND: { kind: 'internal', summary: 'No directory holding package.json was found above the running module.' },
  BL_ERR_ARTIFACT_TOO_LARGE: { kind: 'input', summary: 'An artifact is larger than the configured limit.' },
  BL_ERR_ARTIFACT_WRITE: { kind: 'transient', summary: 'An artifact could not be written to disk.' },
  BL_ERR_STREAM_GARBAGE: { kind: 'input', summary: 'Bytes on a serial or TCP stream could not be cut into frames (message over maxLength, implausible length field, partial frame when the link dropped).' },
  BL_ERR_N42_TOO_LARGE: { kind: 'input', summary: 'An N42 document is larger than the size limit; refused unread.' },
  BL_ERR_N42_NOT_XML: { kind: 'input', summary: 'An N42 document is not well-formed XML (syntax, encoding, undefined entity, nesting too deep).' },
  BL_ERR_N42_DOCTYPE_REFUSED: { kind: 'input', summary: 'An XML document carries a DOCTYPE or entity declaration; refused unparsed (no DTD, external entity or entity expansion).' },
  BL_ERR_N42_NOT_N42: { kind: 'input', summary: 'A well-formed XML document is not ANSI N42.42 (root is neither RadInstrumentData 2012 nor N42InstrumentData 2006).' },
  BL_ERR_N42_INVALID: { kind: 'input', summary: 'An N42.42 document holds nothing usable or a value that cannot be read (no measurement or analysis, bad number, time or channel data).' },
  BL_ERR_LINE_SYNTAX: { kind: 'input', summary: 'A line-protocol frame is not one printable-ASCII line (control or non-ASCII bytes, longer than 256 bytes, no tag).' },
  BL_ERR_LINE_UNKNOWN_TAG: { kind: 'input', summary: 'A line-protocol message starts with a tag its dialect does not define.' },
  BL_ERR_LINE_FIELDS: { kind: 'input', summary: 'A line-protocol message has the wrong number of fields for its tag.' },
  BL_ERR_LINE_VALUE: { kind: 'input', summary: 'A line-protocol field is not a number of the kind its tag needs (empty, non-numeric, fraction in a count, too many digits).' },
  BL_ERR_INGEST_TOO_LARGE: { kind: 'input', summary: "A document (watched-folder file or HTTP ingest body) is larger than its adapter's size limit; refused unread." },
  BL_ERR_INGEST_MEDIA_TYPE: { kind: 'input', summary: "A document's media type (HTTP Content-Type) or file extension is not one its adapter accepts." },
  BL_ERR_FOLDER_UNREADABLE: { kind: 'transient', summary: 'A watched folder could not be read or its layout created (missing, unmounted, no permission).' },
  BL_ERR_FOLDER_NOT_A_FILE: { kind: 'input', summary: 'An entry in a watched folder is not a regular file (symlink, device, socket); moved to failed/ unread.' },
  BL_ERR_JCAMP_TOO_LARGE: { kind: 'input', summary: 'A JCAMP-DX document is larger than its byte limit, or its data expand to more points than the point limit; refused.' },
  BL_ERR_JCAMP_INVALID: { kind: 'input', summary: 'A JCAMP-DX document is malformed (no ##TITLE, missing ##END, bad character or number, empty or truncated data, NPOINTS/FIRSTX/LASTX/DELTAX disagreeing with the data).' },
  BL_ERR_JCAMP_UNSUPPORTED: { kind: 'input', summary: 'A JCAMP-DX document uses a form this reader refuses rather than misreads (NTUPLES nD/NMR/MS data, RADATA, other variable lists, ? ordinates).' },
  BL_ERR_JCAMP_YCHECK: { kind: 'input', summary: 'A JCAMP-DX DIF line failed its Y-value check: the first ordinate of a line does not repeat the last ordinate of the line before.' },
  BL_ERR_LIBRARY_INVALID: { kind: 'config', summary: 'The reference library (library.yaml or one of its spectra) is invalid: every problem is listed.' },
  BL_ERR_IDENTIFY_INPUT: { kind: 'input', summary: 'A spectrum cannot be identified (too few points, flat, or outside the library axis).' },
  BL_ERR_FRAME_CHECKSUM: { kind: 'input', summary: 'A framed message failed its checksum (CRC) check: corrupted on the line.' },
  BL_ERR_SPECTRO_MESSAGE: { kind: 'input', summary: 'A spectrometer message is malformed (unknown type, missing or bad field, bad hit line, embedded spectrum of the wrong size).' },
  BL_ERR_DICOS_REPORT_INVALID: { kind: 'input', summary: 'A scanner threat report (DICOS-style JSON) is not JSON, does not match the threat-report schema, or contradicts itself (bad time, duplicate threat object, region on an image it does not carry).' },
  BL_ERR_SCANNER_UPLOAD_INVALID: { kind: 'input', summary: 'A scanner result upload is not a usable multipart/form-data request (malformed, no result part, too many parts, an image of a media type not accepted).' },
  BL_ERR_SCANNER_IMAGE_FETCH: { kind: 'transient', summary: 'An image a polled scanner references could not be fetched (connection, timeout, HTTP error status): the page is polled again.' },
  BL_ERR_WEBHOOK_SIGNATURE: { kind: 'input', summary: 'A signed webhook request has no signature, or one that does not match its body and timestamp.' },
  BL_ERR_WEBHOOK_REPLAY: { kind: 'input', summary: 'A signed webhook request is outside the replay window or was received before.' },
  BL_ERR_HTTP_POLL: { kind: 'transient', summary: 'A polled vendor HTTP endpoint failed (connection, timeout, HTTP error status).' },
  BL_ERR_VENDOR_JSON: { kind: 'input', summary: 'A vendor JSON body is not what its adapter expects (not JSON, wrong shape, bad field).' },
  BL_ERR_OPCUA_SERVER_UNTRUSTED: { kind: 'transient', summary: "An OPC UA server's certificate is not trusted (unknown, rejected, or changed since first use); refused until an operator moves it into the client PKI's trusted/certs folder." },
  BL_ERR_OPCUA_SESSION_REFUSED: { kind: 'transient', summary: 'An OPC UA server refused the secure channel or session: no endpoint with the configured security, our certificate not trusted by the server, or the identity (user/password, certificate) rejected.' },
  BL_ERR_OPCUA_NODE_UNRESOLVED: { kind: 'transient', summary: 'An OPC UA node of the acquisition plan could not be resolved or monitored (unknown namespace URI, browse path or node id not found, item refused by the server).' },
  BL_ERR_AUDIT_OPEN: { kind: 'config', summary: 'The audit log could not be opened, or its last complete line is not a valid audit entry (another file, or a damaged log): its chain is not continued.' },
  BL_ERR_AUDIT_WRITE: { kind: 'transient', summary: 'An audit log write or fdatasync failed; the lines stay queued in order and are retried.' },
  BL_ERR_AUDIT_READ: { kind: 'usage', summary: 'borderlink audit verify could not read the log file (missing, unreadable, a directory).' },
  BL_ERR_OPCUA_VALUE: { kind: 'input', summary: "An OPC UA value is not what its profile field expects (missing, of another type, not JSON where parsed, out of range, or not one of the field's enum values)." },
  BL_ERR_HTTP_FORBIDDEN: { kind: 'input', summary: 'The credentials are valid but do not allow the request: a role lacks the permission, or the identity names an agency not configured (JWT).' },
  BL_ERR_CONFIG_JWKS: { kind: 'config', summary: 'The JWKS file of identities.jwt cannot be read, is not a JWK Set, or holds a private or symmetric key.' },
  BL_ERR_OUTBOX_FULL: { kind: 'transient', summary: 'The outbox is at its size cap (outbox.maxBytes): an input that can wait is refused for now (poll skipped, HTTP 503, file left in place); one that cannot is quarantined with this code, within the quarantine budget.' },
  BL_ERR_DECISION_CONFLICT: { kind: 'input', summary: 'An operator decision names an event that is not a result (decisions are recorded on results only).' },
  BL_ERR_DECISION_UNAVAILABLE: { kind: 'transient', summary: 'An operator decision could not be made durable (the device is not running here, or the outbox could not write); retry.' },
  // append new codes above this line, one per line
} as const satisfies Record<string, { kind: ErrorKind; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class BorderlinkError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; detail?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BorderlinkError';
    this.code = code;
    this.kind = ERROR_CODES[code].kind;
    this.detail = options?.detail;
  }
}

export function isBorderlinkError(e: unknown): e is BorderlinkError {
  return e instanceof BorderlinkError;
}

/** A short, log-safe description of anything thrown. */
export function describeError(e: unknown): { code?: string; message: string } {
  if (e instanceof BorderlinkError) return { code: e.code, message: e.message };
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}
