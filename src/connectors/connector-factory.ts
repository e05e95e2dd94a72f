/**
 * Picks and builds each device's connector from its adapter's acquisition plan and its configured
 * connection: the adapter owns the codec, the gateway owns the transport.
 *
 *   modbus-poll + host/port (or a simulator)  -> Modbus TCP
 *   modbus-poll + serial                      -> Modbus RTU, one bus per serial path (multi-drop)
 *   stream      + serial                      -> serial line
 *   stream      + host/port (or a simulator)  -> TCP socket (the gateway connects as a client)
 *   document    + folder                      -> watched folder
 *   document    + ingestPath                  -> POST /v1/ingest/{ingestPath} (no connector; a target)
 *   opcua       + opcua.endpointUrl (or an OPC UA simulator) -> OPC UA client subscription
 */
import type {
  AnyAdapter, DocumentFrame, DocumentPlan, Frame, ModbusFrame, ModbusPollPlan, OpcUaFrame, StreamFrame,
} from '../adapter/types.js';
import type { Clock } from '../clock.js';
import type { DeviceConfig, SerialLine } from '../config/types.js';
import { BorderlinkError } from '../errors.js';
import type { Logger } from '../log.js';
import { createFolderConnector } from './folder.js';
import { createHttpPollConnector } from './http-poll.js';
import type { ArtifactStore } from '../artifacts/types.js';
import { withScannerImages } from '../dicos/poll-images.js';
import { isHttpScannerAdapter } from '../dicos/scanner-adapters.js';
import { createWebhookVerifier } from '../http/webhook-signature.js';
import { createModbusRtuBus, type ModbusRtuBus } from './modbus-rtu-bus.js';
import { createModbusTcpConnector } from './modbus-tcp.js';
import { createOpcUaConnector } from './opcua.js';
import { openTcpRtuPort, rtuTcpAddress } from './rtu-tcp-port.js';
import { createSerialConnector } from './serial.js';
import { createTcpSocketConnector } from './tcp-socket.js';
import type { Connector, PushOutcome, RejectedInput, Sink } from './types.js';

export interface IngestTargetSpec {
  deviceId: string;
  plan: DocumentPlan;
  push(frame: DocumentFrame): Promise<PushOutcome>;
}

/** A TCP address; `rtu` when the far end speaks Modbus RTU framing over TCP (a serial device server). */
export interface DeviceAddress {
  host: string;
  port: number;
  rtu?: boolean;
  /** an OPC UA simulator: its endpoint, and its certificate (trusted for the devices that name it) */
  opcua?: { endpointUrl: string; serverCertificate?: Buffer };
  /** an HTTP simulator: the path of its results API (polled at http://host:port{path}) */
  path?: string;
}

export interface ConnectorFactory {
  /** A connector, or an ingest target for devices that are pushed to over REST. */
  build(device: DeviceConfig, adapter: AnyAdapter, sink: Sink<Frame>, address: DeviceAddress | undefined): { connector?: Connector; ingest?: { path: string; target: IngestTargetSpec } };
}

function lineKey(s: SerialLine): string {
  return s.path;
}

export function createConnectorFactory(deps: {
  logger: Logger;
  clock: Clock;
  /** where polled X-ray scanners' images are stored (without it, events reference the scanner's URLs) */
  artifacts?: ArtifactStore;
  /** largest image fetched from a polled scanner (default 20 MiB) */
  scannerImageMaxBytes?: number;
}): ConnectorFactory {
  const buses = new Map<string, { bus: ModbusRtuBus; line: SerialLine }>();
  const { logger, clock } = deps;

  const bad = (device: DeviceConfig, adapter: AnyAdapter, why: string): BorderlinkError =>
    new BorderlinkError('BL_ERR_CONFIG_INVALID', `device ${device.id}: adapter ${adapter.id} (${adapter.acquisition.kind}) ${why}`);

  const rtuBus = (device: DeviceConfig, line: SerialLine): ModbusRtuBus => {
    const known = buses.get(lineKey(line));
    if (known) {
      if (known.line.baudRate !== line.baudRate || known.line.parity !== line.parity || known.line.stopBits !== line.stopBits) {
        throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `device ${device.id}: serial line ${line.path} is configured with different settings by another device`);
      }
      return known.bus;
    }
    // tcp://host:port: RTU frames through a serial device server (or the RTU simulator)
    const overTcp = rtuTcpAddress(line.path) !== undefined;
    const bus = createModbusRtuBus({ path: line.path, baudRate: line.baudRate, parity: line.parity, stopBits: line.stopBits, logger, clock, ...(overTcp ? { openPort: openTcpRtuPort() } : {}) });
    buses.set(lineKey(line), { bus, line });
    return bus;
  };

  return {
    build(device, adapter, sink, address) {
      const plan = adapter.acquisition;
      const c = device.connection;
      switch (plan.kind) {
        case 'modbus-poll': {
          const p: ModbusPollPlan = { ...plan, pollIntervalMs: device.pollIntervalMs ?? plan.pollIntervalMs, timeoutMs: device.timeoutMs ?? plan.timeoutMs };
          const line: SerialLine | undefined = c.serial ?? (address?.rtu ? { path: `tcp://${address.host}:${address.port}`, baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } : undefined);
          if (line) return { connector: rtuBus(device, line).connector({ deviceId: device.id, unitId: c.unitId, plan: p, sink: sink as Sink<ModbusFrame> }) };
          if (!address) throw bad(device, adapter, 'needs host and port, a simulator, or a serial line');
          return { connector: createModbusTcpConnector({ deviceId: device.id, host: address.host, port: address.port, unitId: c.unitId, plan: p, sink: sink as Sink<ModbusFrame>, logger, clock }) };
        }
        case 'stream': {
          if (c.serial) {
            const s = c.serial;
            return { connector: createSerialConnector({ deviceId: device.id, path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, parity: s.parity, stopBits: s.stopBits, plan, sink: sink as Sink<StreamFrame>, logger, clock }) };
          }
          if (!address) throw bad(device, adapter, 'needs a serial line, or host and port of a TCP stream (or a simulator)');
          return { connector: createTcpSocketConnector({ deviceId: device.id, host: address.host, port: address.port, plan, sink: sink as Sink<StreamFrame>, logger, clock }) };
        }
        case 'document': {
          if (c.folder) return { connector: createFolderConnector({ deviceId: device.id, dir: c.folder, plan, sink: sink as Sink<DocumentFrame>, logger, clock }) };
          if (c.ingestPath) {
            const docSink = sink as Sink<DocumentFrame>;
            const verifier = c.webhookSecret ? createWebhookVerifier({ secret: c.webhookSecret, replayWindowS: c.replayWindowS ?? 300 }) : undefined;
            return {
              ingest: {
                path: c.ingestPath,
                target: { deviceId: device.id, plan, push: (frame) => docSink.push(frame), reject: (input: RejectedInput) => docSink.reject(input), ...(verifier ? { verifier } : {}) },
              },
            };
          }
          const pollUrl = c.url ?? (address?.path ? `http://${address.host}:${address.port}${address.path}` : undefined);
          if (pollUrl) {
            // X-ray scanners: the images a page references are fetched and stored before it reaches the codec
            const pollSink = deps.artifacts !== undefined && isHttpScannerAdapter(adapter)
              ? withScannerImages({
                sink: sink as Sink<DocumentFrame>, artifacts: deps.artifacts, pollUrl, maxImageBytes: deps.scannerImageMaxBytes ?? 20 * 1024 * 1024,
                timeoutMs: device.timeoutMs ?? plan.poll?.timeoutMs ?? 5000, logger, ...(c.bearerToken ? { bearerToken: c.bearerToken } : {}),
              })
              : (sink as Sink<DocumentFrame>);
            return {
              connector: createHttpPollConnector({
                // a declarative JSON profile names its own cursor and page parameters (plan.poll)
                deviceId: device.id, url: pollUrl,
                pollIntervalMs: device.pollIntervalMs ?? plan.poll?.pollIntervalMs ?? 2000, timeoutMs: device.timeoutMs ?? plan.poll?.timeoutMs ?? 5000,
                pageSize: c.pageSize ?? plan.poll?.limit ?? 100,
                cursorParam: plan.poll?.cursorParam ?? 'since_id', limitParam: plan.poll?.limitParam ?? 'limit', cursorKey: 'cursor', maxBytes: plan.maxBytes, sink: pollSink, logger, clock,
                ...(c.bearerToken ? { bearerToken: c.bearerToken } : {}),
              }),
            };
          }
          throw bad(device, adapter, 'needs a folder, an ingestPath or a url');
        }
        case 'opcua': {
          const settings = c.opcua;
          const endpointUrl = address?.opcua?.endpointUrl ?? settings?.endpointUrl;
          if (!settings || endpointUrl === undefined) throw bad(device, adapter, 'needs connection.opcua with an endpointUrl, or an OPC UA simulator');
          const pinned = address?.opcua?.serverCertificate;
          return {
            connector: createOpcUaConnector({
              deviceId: device.id, endpointUrl, settings, plan, sink: sink as Sink<OpcUaFrame>, logger, clock,
              ...(pinned ? { pinnedServerCertificate: pinned } : {}),
            }),
          };
        }
        default: {
          const never: never = plan;
          throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `unknown acquisition ${String(never)}`);
        }
      }
    },
  };
}
