import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ApiKey, decodeResponse, encodeRequest, FrameDecoder } from '../../protocol/index.js';
import { encodeRecordBatchSync } from '../../protocol/record-batch.js';
import { fetchRequest } from './fetch-partition.js';
import { waitFor } from './wait.js';

/**
 * Hostile loads against a broker, on raw sockets built on protocol/ (shared by test/hostile and
 * bench/memory.ts), and the broker's resident memory read from /proc while they run.
 */

export const MiB = 1024 * 1024;

/** Resident memory of process `pid` in bytes (VmRSS in /proc/<pid>/status; Linux). */
export function vmRssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Samples a process's RSS every `intervalMs` and keeps the peak. */
export function sampleRss(pid: number, intervalMs = 25): { peak(): number; stop(): number } {
  let peak = vmRssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, vmRssBytes(pid));
    } catch {
      // The process ended.
    }
  }, intervalMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function sizePrefix(size: number): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(size, 0);
  return prefix;
}

/** Resolves when `socket` has flushed what it was given, or has closed. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

export interface PartialFrames {
  sockets: Socket[];
  /** How many sockets have handed all their bytes to the kernel (the broker read nearly all of it). */
  finished(): number;
  /** Bytes the kernel accepted, per socket. */
  flushed(): number[];
  close(): void;
}

/**
 * `connections` sockets each announcing a `frameBytes` frame and sending `sendBytes` of it as fast as
 * the broker reads (never the rest): the memory a broker gives to requests being read.
 */
export async function sendPartialFrames(
  port: number,
  { connections, frameBytes, sendBytes }: { connections: number; frameBytes: number; sendBytes: number },
): Promise<PartialFrames> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => openSocket(port)));
  const piece = Buffer.alloc(MiB);
  const done = new Set<Socket>();
  for (const socket of sockets) {
    void (async () => {
      socket.write(sizePrefix(frameBytes));
      for (let sent = 0; sent < sendBytes && !socket.destroyed; sent += piece.length) {
        if (!socket.write(piece.subarray(0, Math.min(piece.length, sendBytes - sent)))) await drained(socket);
      }
      // An empty write's callback runs once everything before it is with the kernel.
      await new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
      if (!socket.destroyed) done.add(socket);
    })();
  }
  return {
    sockets,
    finished: () => done.size,
    flushed: () => sockets.map((s) => s.bytesWritten - s.writableLength),
    close: () => sockets.forEach((s) => s.destroy()),
  };
}

/**
 * Max-size Produce requests: each connection sends whole `frameBytes` frames (a Produce whose record
 * set is junk, so the broker reads it all and answers an error) back to back until stopped.
 */
export async function sendMaxSizeProduces(
  port: number,
  { connections, frameBytes, topic }: { connections: number; frameBytes: number; topic: string },
): Promise<{ framesSent(): number; stop(): void }> {
  const header = encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: 1, clientId: 'hostile' },
    {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.alloc(0) }] }],
    },
  );
  // The same request with a records field of the right length: the encoded empty records (int32 0)
  // become the junk's length, and the junk follows.
  const junkBytes = frameBytes - (header.length - 4);
  const frame = Buffer.alloc(frameBytes + 4);
  header.copy(frame);
  frame.writeInt32BE(frameBytes, 0);
  frame.writeInt32BE(junkBytes, header.length - 4);
  let stopped = false;
  let sent = 0;
  const sockets = await Promise.all(Array.from({ length: connections }, () => openSocket(port)));
  for (const socket of sockets) {
    socket.resume(); // answers are read and dropped
    void (async () => {
      while (!stopped && !socket.destroyed) {
        if (!socket.write(frame)) await drained(socket);
        sent++;
      }
    })();
  }
  return {
    framesSent: () => sent,
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Fills partition 0 of `topic` with `totalBytes` of ~1 MiB batches (Produce v7, acks=1). */
export async function fillTopic(port: number, topic: string, totalBytes: number): Promise<void> {
  const socket = await openSocket(port);
  const decoder = new FrameDecoder(64 * MiB);
  const value = Buffer.alloc(1000, 0x61);
  const records = encodeRecordBatchSync({
    records: Array.from({ length: 1000 }, () => ({ key: null, value })),
  });
  let answered = 0;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      const { body } = decodeResponse(ApiKey.Produce, 7, frame);
      const code = body.responses[0]?.partitionResponses[0]?.errorCode;
      if (code !== 0) throw new Error(`fill produce failed with error ${code}`);
      answered++;
    }
  });
  const requests = Math.ceil(totalBytes / records.length);
  for (let i = 0; i < requests; i++) {
    const request = encodeRequest(
      { apiKey: ApiKey.Produce, apiVersion: 7, correlationId: i, clientId: 'fill' },
      {
        transactionalId: null,
        acks: 1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
      },
    );
    if (!socket.write(request)) await drained(socket);
    if (i - answered > 16)
      await waitFor(() => i - answered <= 4, { timeoutMs: 30_000, what: 'produce acks' });
  }
  await waitFor(() => answered === requests, { timeoutMs: 60_000, what: 'every fill produce acked' });
  socket.destroy();
}

export interface GreedyFetchers {
  /** Resumes reading every response; resolves with each response's record bytes once all arrived. */
  readAll(): Promise<number[]>;
  close(): void;
}

/**
 * `count` consumers each sending one Fetch v11 from offset 0 with max_bytes and partition_max_bytes
 * 2^31-1, and not reading the answer until `readAll`: what the broker holds per response.
 */
export async function greedyFetchers(port: number, topic: string, count: number): Promise<GreedyFetchers> {
  const sockets = await Promise.all(Array.from({ length: count }, () => openSocket(port)));
  const body = fetchRequest(topic, 0n, { maxBytes: 2 ** 31 - 1, partitionMaxBytes: 2 ** 31 - 1 });
  const frames = sockets.map(() => [] as Buffer[]);
  sockets.forEach((socket, i) => {
    socket.pause();
    const decoder = new FrameDecoder(2 ** 31 - 1);
    socket.on('data', (chunk: Buffer) => frames[i]!.push(...decoder.push(chunk)));
    socket.write(
      encodeRequest({ apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: 1, clientId: 'greedy' }, body),
    );
  });
  return {
    async readAll() {
      for (const socket of sockets) socket.resume();
      await waitFor(() => frames.every((f) => f.length === 1), {
        timeoutMs: 60_000,
        what: 'fetch responses',
      });
      return frames.map((f) => {
        const { body: response } = decodeResponse(ApiKey.Fetch, 11, f[0]!);
        const partition = response.responses[0]!.partitions[0]!;
        if (partition.errorCode !== 0) throw new Error(`fetch answered error ${partition.errorCode}`);
        return partition.records?.length ?? 0;
      });
    },
    close: () => sockets.forEach((s) => s.destroy()),
  };
}

/** `count` connections each sending one byte of a request every `intervalMs` (slowloris). */
export async function trickleConnections(
  port: number,
  { count, intervalMs }: { count: number; intervalMs: number },
): Promise<{ open(): number; stop(): void }> {
  const sockets = await Promise.all(Array.from({ length: count }, () => openSocket(port)));
  // A frame of 1,000 bytes whose bytes never all arrive: prefix first, then zeros.
  const bytes = Buffer.concat([sizePrefix(1000), Buffer.alloc(1000)]);
  let at = 0;
  const timer = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write(bytes.subarray(at, at + 1));
    at = (at + 1) % bytes.length;
  }, intervalMs);
  return {
    open: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
    stop() {
      clearInterval(timer);
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Opens `count` connections from `localAddress` (any 127.x address on Linux loopback) and asks each
 * for ApiVersions; resolves with how many answered and how many the broker closed.
 */
export async function floodConnections(
  port: number,
  { count, localAddress }: { count: number; localAddress: string },
): Promise<{ answered: number; closed: number; close(): void }> {
  const sockets: Socket[] = [];
  let answered = 0;
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const socket = await openSocket(port, localAddress).catch(() => null);
    if (socket === null) {
      closed++;
      continue;
    }
    sockets.push(socket);
    let settled = false;
    const settle = (outcome: 'answered' | 'closed') => {
      if (settled) return;
      settled = true;
      if (outcome === 'answered') answered++;
      else closed++;
    };
    socket.once('data', () => settle('answered'));
    socket.once('close', () => settle('closed'));
    socket.write(
      encodeRequest(
        { apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: 1, clientId: 'flood' },
        { clientSoftwareName: 'flood', clientSoftwareVersion: '1' },
      ),
    );
  }
  await waitFor(() => answered + closed === count, {
    timeoutMs: 30_000,
    what: 'every flood connection settled',
  });
  return { answered, closed, close: () => sockets.forEach((s) => s.destroy()) };
}
