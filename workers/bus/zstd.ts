/**
 * zstd for kafkajs, through its public codec registration (kafkajs ships none). The implementation is
 * @mongodb-js/zstd's native binding, whose prebuilt binary comes inside a per-platform registry
 * package (@mongodb-js/zstd-linux-x64-gnu, …): nothing is downloaded at install or at run time.
 */
import { compress, decompress } from "@mongodb-js/zstd";
import kafkajs from "kafkajs";

// A default import: Node's ESM loader does not find these two among kafkajs's CommonJS named exports.
const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Kafka's own default zstd level: most of the ratio of higher levels at a fraction of their CPU. */
const LEVEL = 3;

let registered = false;

/** Registers the codec once per process; every kafkajs producer and consumer of the process then speaks zstd. */
export function registerZstd(): void {
  if (registered) return;
  registered = true;
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => compress(encoder.buffer, LEVEL),
    decompress: (buffer: Buffer) => decompress(buffer),
  });
}
