/**
 * The device side of the soak, run as a child process so its CPU and memory are not the
 * gateway's: N RPM simulators (physics + scenario, real time), each on its own loopback port,
 * scenario "demo" with seed 1000 + i, so occupancies and alarms come and go as in the field.
 *
 *   node dist/bench/soak-devices.js --devices 500   (forked; sends { ports } over IPC)
 *
 * The parent ends it by disconnecting the IPC channel (or by killing it).
 */
import { pathToFileURL } from 'node:url';
import { startRpmSimulator, type RpmSimulator } from '../simulators/rpm/rpm-simulator.js';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--devices');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 500;
  const sims: RpmSimulator[] = [];
  for (let k = 0; k < n; k++) sims.push(await startRpmSimulator({ port: 0, scenario: 'demo', seed: 1000 + k }));
  const stop = (): void => {
    void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  const ports = sims.map((s) => s.port);
  if (process.send === undefined) console.log(JSON.stringify({ ports }));
  else process.send({ ports });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
