/**
 * Produce pipelining on one connection. Kafka serves a connection one request at a time, so with
 * acks=all a client's next batch waits for the previous batch's replication round trip: one
 * partition then moves one request's bytes per round trip. Here a Produce request may start once the
 * Produce before it has *appended* (its acks=all wait still running): appends stay in arrival order,
 * responses are still written in request order, and acks=all still answers only after the ISR has the
 * data. Only Produce overlaps Produce; any other request waits for everything before it. The produce
 * handler tells the connection its appends are done through RequestContext.appended.
 */

/** Requests a connection lets overlap at most (librdkafka and the Java client default to 5). */
export const MAX_PIPELINED_PRODUCES = 5;

/** The Produce api key, read from a request frame's first two bytes. */
const PRODUCE_KEY = 0;

export function isProduceFrame(frame: Buffer): boolean {
  return frame.length >= 2 && frame.readInt16BE(0) === PRODUCE_KEY;
}
