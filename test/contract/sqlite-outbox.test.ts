import path from 'node:path';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { openSqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import { outboxContract } from './outbox-contract.js';

outboxContract('sqlite', (dir) => openSqliteOutbox({
  path: path.join(dir, 'outbox.db'),
  clock: systemClock,
  logger: silentLogger(),
}));

// a tiny group size: every group-commit boundary case runs through the same contract
outboxContract('sqlite, batchMaxEvents 3', (dir) => openSqliteOutbox({
  path: path.join(dir, 'outbox.db'),
  clock: systemClock,
  logger: silentLogger(),
  batchMaxEvents: 3,
}));
