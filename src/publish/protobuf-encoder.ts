/** Protobuf payloads (schemas/detection-event/v1/detection_event.proto), where the config asks. */
import { CONTENT_TYPE, createProtobufCodec } from '../schema/protobuf.js';
import type { PayloadEncoder } from './mqtt-publisher.js';

export function createProtobufEncoder(): PayloadEncoder {
  const codec = createProtobufCodec();
  return {
    format: 'protobuf',
    contentType: CONTENT_TYPE.protobuf,
    encode: (row) => Buffer.from(codec.encode(row.event)),
  };
}
