/**
 * The outbox schema, as versioned, append-only migrations. Never edit a released migration:
 * add the next version. A database written by a newer gateway is refused rather than guessed at.
 */
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { BorderlinkError } from '../errors.js';
import type { Logger } from '../log.js';

export interface Migration {
  /** 1, 2, 3... with no gaps */
  version: number;
  name: string;
  sql: string;
}

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events, devices, quarantine',
    sql: `
      CREATE TABLE devices (
        id                TEXT PRIMARY KEY,
        device_class      TEXT,
        site_id           TEXT,
        -- stored, never derived from events: retention may delete rows, sequences must go on
        last_sequence     INTEGER NOT NULL DEFAULT 0,
        status_state      TEXT,
        status_detail     TEXT,
        status_since      TEXT,
        last_event_row    INTEGER,
        events_count      INTEGER NOT NULL DEFAULT 0,
        quarantined_count INTEGER NOT NULL DEFAULT 0,
        adapter_state     TEXT
      );

      -- AUTOINCREMENT: ids are SSE ids and relay cursors, so they must never be reused,
      -- not even after retention has emptied the table.
      CREATE TABLE events (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id      TEXT NOT NULL UNIQUE,
        device_id     TEXT NOT NULL REFERENCES devices(id),
        sequence      INTEGER NOT NULL,
        site_id       TEXT NOT NULL,
        device_class  TEXT NOT NULL,
        event_type    TEXT NOT NULL,
        outcome_state TEXT,
        observed_at   TEXT NOT NULL,
        json          TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        acked_at_ms   INTEGER
      );
      CREATE UNIQUE INDEX events_device_sequence ON events(device_id, sequence);
      CREATE INDEX events_device_row ON events(device_id, id);
      CREATE INDEX events_site_row ON events(site_id, id);
      CREATE INDEX events_class_row ON events(device_class, id);
      CREATE INDEX events_type_row ON events(event_type, id);
      CREATE INDEX events_outcome_row ON events(outcome_state, id) WHERE outcome_state IS NOT NULL;
      CREATE INDEX events_observed ON events(observed_at);
      -- the relay's scan and the depth/oldest-age stats read only this small index
      CREATE INDEX events_unacked ON events(id) WHERE acked_at_ms IS NULL;
      -- retention reads only this one
      CREATE INDEX events_acked_created ON events(created_at_ms) WHERE acked_at_ms IS NOT NULL;

      CREATE TABLE quarantine (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id       TEXT NOT NULL REFERENCES devices(id),
        adapter_id      TEXT NOT NULL,
        adapter_version TEXT NOT NULL,
        code            TEXT NOT NULL,
        message         TEXT NOT NULL,
        raw             BLOB NOT NULL,
        received_at     TEXT NOT NULL,
        detail          TEXT
      );
      CREATE INDEX quarantine_device_row ON quarantine(device_id, id);
    `,
  },
  {
    version: 2,
    name: 'document keys',
    sql: `
      -- whole input documents (folder files, HTTP posts) already committed, by idempotency key
      -- ("sha256:<hex>"): a document delivered again after a crash or a client retry is a
      -- duplicate, not a second set of events. Written in the transaction of the document's events.
      CREATE TABLE document_keys (
        device_id       TEXT NOT NULL,
        document_key    TEXT NOT NULL,
        committed_at_ms INTEGER NOT NULL,
        PRIMARY KEY (device_id, document_key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'artifact references',
    sql: `
      -- which events reference which artifact (event.artifacts[].sha256), so that an agency's
      -- download can be checked against the events its policy admits without scanning every
      -- event. Written with the event; removed with it (retention) by the trigger.
      CREATE TABLE event_artifacts (
        sha256    TEXT NOT NULL,
        event_row INTEGER NOT NULL,
        PRIMARY KEY (sha256, event_row)
      ) WITHOUT ROWID;
      CREATE INDEX event_artifacts_row ON event_artifacts(event_row);
      CREATE TRIGGER events_artifacts_gc AFTER DELETE ON events
        WHEN OLD.json LIKE '%"artifacts"%'
        BEGIN DELETE FROM event_artifacts WHERE event_row = OLD.id; END;
      INSERT OR IGNORE INTO event_artifacts (sha256, event_row)
        SELECT json_extract(a.value, '$.sha256'), e.id
        FROM events e, json_each(e.json, '$.artifacts') a
        WHERE json_extract(a.value, '$.sha256') IS NOT NULL;
    `,
  },
];

/** Applies the pending migrations, each in its own transaction. Returns the schema version. */
export function applyMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  deps: { clock: Clock; logger: Logger },
): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new BorderlinkError('BL_ERR_OUTBOX_OPEN', 'Outbox migrations are not numbered 1..n without gaps', {
        detail: { version: m.version, expected: i + 1 },
      });
    }
  });
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)`);
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const latest = migrations.length;
  if (current > latest) {
    throw new BorderlinkError('BL_ERR_OUTBOX_OPEN', 'The outbox database was written by a newer gateway', {
      detail: { schemaVersion: current, supported: latest },
    });
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)');
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, deps.clock.now());
    }).immediate();
    deps.logger.info({ version: m.version, migration: m.name }, 'outbox migration applied');
  }
  return latest;
}
