/**
 * `npm run bench`: prints figures (never passes or fails). The machine is shared and noisy, so
 * read the figures as indicative and compare runs on the same machine only.
 */
import os from 'node:os';
import { accuracyTable, benchIdentify, formatAccuracy, loadSeedLibrary } from './identify.bench.js';
import { benchJcamp } from './jcamp.bench.js';
import { benchModbusScale, formatScaleTable, scaleOptionsFrom } from './modbus-scale.bench.js';
import { benchModbusServer } from './modbus-server.bench.js';
import { benchOutbox } from './outbox.bench.js';
import { benchDrain } from './drain.bench.js';
import { benchPipeline } from './pipeline.bench.js';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string): boolean => only.length === 0 || only.includes(name);
  console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (want('pipeline')) {
    const r = await benchPipeline();
    console.log('\n== pipeline vs bare mqtt.js pipe (same broker, same messages, QoS 1) ==');
    console.log(`broker: ${r.broker}; ${r.devices} devices; ${r.events} events, ${r.payloadBytes} bytes on average`);
    console.log(`bare pipe   publisher -> broker -> subscriber: ${r.bare.messagesPerSecond} msg/s (${r.bare.seconds} s)`);
    console.log(`pipeline    frame -> decode -> validate -> outbox (durable) -> relay -> broker -> subscriber: ${r.pipeline.eventsPerSecond} events/s (${r.pipeline.seconds} s)`);
    console.log(`ratio pipeline/bare: ${r.ratio} (goal >= 0.6)`);
    const p = r.paced;
    console.log(`latency frame -> subscriber, paced at ${p.offeredEventsPerSecond} events/s (achieved ${p.achievedEventsPerSecond}, ${p.events} events, ${p.seconds} s): p50 ${p.p50LatencyMs} ms, p99 ${p.p99LatencyMs} ms (goal <= 25), max ${p.maxLatencyMs} ms`);
  }
  if (want('drain')) {
    const r = await benchDrain();
    console.log('\n== drain of an outage backlog (built with the broker down, then broker + relay started) ==');
    console.log(`backlog ${r.events} events (${r.payloadBytes} bytes each, ${r.dbMiB} MiB outbox) built in ${r.buildSeconds} s`);
    console.log(`drain to a subscriber: ${r.eventsPerSecond} events/s (${r.seconds} s; goal >= 10000); outbox empty after ${r.ackedSeconds} s`);
  }
  if (want('outbox')) {
    const r = await benchOutbox();
    console.log('\n== SQLite outbox (WAL, synchronous=FULL, group commit) ==');
    console.log(JSON.stringify(r));
  }
  if (want('modbus')) {
    const r = await benchModbusServer();
    console.log('\n== lean Modbus TCP simulator server ==');
    console.log(`${r.requestsPerSecond} req/s pipelined (${r.clients} clients x depth ${r.pipelineDepth}); ${r.lockstepRequestsPerSecond} req/s one request at a time`);
  }
  if (want('modbus-scale')) {
    const o = scaleOptionsFrom(process.argv.slice(2), process.env);
    console.log(`\n== Modbus scale: connectors polling one 25-register block each at 5 Hz, lean server in a child process ==`);
    console.log(formatScaleTable(await benchModbusScale(o)));
  }
  if (want('identify')) {
    const r = benchIdentify();
    console.log(`\n== identification: one spectrum against a ${r.entries}-entry library (${r.points} points on the common axis) ==`);
    console.log(`p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms per match (preprocessing included); seed library load ${r.loadMs} ms`);
    const t = accuracyTable(loadSeedLibrary());
    console.log(`\n== identification accuracy: top-1 correct, ${t.trials} simulated measurements per substance and SNR ==`);
    console.log(formatAccuracy(t));
  }
  if (want('jcamp')) {
    const r = benchJcamp();
    console.log(`\n== JCAMP-DX reader, ${r.points} points ==`);
    for (const f of r.forms) console.log(`${f.form}: ${f.bytes} bytes, first parse ${f.coldMs} ms, median ${f.medianMs} ms`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
