/**
 * ZooKeeper's four-letter words, answered on the client port. Like ZooKeeper, the server reads the
 * first 4 bytes of a connection as a frame length unless they spell a known word.
 */

const knownWords = new Set([
  'ruok',
  'srvr',
  'stat',
  'mntr',
  'isro',
  'conf',
  'envi',
  'wchs',
  'cons',
  'dump',
  'crst',
  'srst',
  'wchc',
  'wchp',
  'hash',
  'gtmk',
  'stmk',
  'dirs',
  'reqs',
]);

export function isFourLetterWord(word: string): boolean {
  return knownWords.has(word);
}

/**
 * Which words the server answers (ZooKeeper's `4lw.commands.whitelist`). Most words disclose the data
 * dir, environment or client addresses, so by default only what health checks use is answered.
 */
export type FourLetterWordWhitelist = ReadonlySet<string> | 'all';

export const DEFAULT_FOUR_LETTER_WORD_WHITELIST = 'srvr,ruok,mntr';

/** Parses ZooKeeper's comma-separated list; `*` allows every word. */
export function parseFourLetterWordWhitelist(text: string): FourLetterWordWhitelist {
  const words = text
    .split(',')
    .map((word) => word.trim())
    .filter((word) => word !== '');
  if (words.includes('*')) return 'all';
  const unknown = words.filter((word) => !knownWords.has(word));
  if (unknown.length > 0) {
    throw new Error(`unknown four-letter word(s) in the whitelist: ${unknown.join(', ')}`);
  }
  return new Set(words);
}

function isWhitelisted(word: string, whitelist: FourLetterWordWhitelist): boolean {
  return whitelist === 'all' || whitelist.has(word);
}

export interface ServerFacts {
  version: string;
  host: string;
  port: number;
  dataDir: string | undefined;
  tickTime: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  maxFrameSize: number;
  packetsReceived: number;
  packetsSent: number;
  connections: number;
  outstandingRequests: number;
  lastZxid: number;
  nodeCount: number;
  watchCount: number;
  ephemeralsCount: number;
  approximateDataSize: number;
  sessionCount: number;
}

const zxidHex = (zxid: number) => `0x${zxid.toString(16)}`;

function srvr(f: ServerFacts): string {
  return [
    `Zookeeper version: ${f.version}`,
    'Latency min/avg/max: 0/0.0/0',
    `Received: ${f.packetsReceived}`,
    `Sent: ${f.packetsSent}`,
    `Connections: ${f.connections}`,
    `Outstanding: ${f.outstandingRequests}`,
    `Zxid: ${zxidHex(f.lastZxid)}`,
    'Mode: standalone',
    `Node count: ${f.nodeCount}`,
    '',
  ].join('\n');
}

function mntr(f: ServerFacts): string {
  const rows: [string, string | number][] = [
    ['zk_version', f.version],
    ['zk_server_state', 'standalone'],
    ['zk_avg_latency', 0],
    ['zk_max_latency', 0],
    ['zk_min_latency', 0],
    ['zk_packets_received', f.packetsReceived],
    ['zk_packets_sent', f.packetsSent],
    ['zk_num_alive_connections', f.connections],
    ['zk_outstanding_requests', f.outstandingRequests],
    ['zk_znode_count', f.nodeCount],
    ['zk_watch_count', f.watchCount],
    ['zk_ephemerals_count', f.ephemeralsCount],
    ['zk_approximate_data_size', f.approximateDataSize],
    ['zk_global_sessions', f.sessionCount],
    ['zk_last_zxid', f.lastZxid],
  ];
  return rows.map(([key, value]) => `${key}\t${value}\n`).join('');
}

function conf(f: ServerFacts): string {
  return [
    `clientPort=${f.port}`,
    `clientPortAddress=${f.host}`,
    `dataDir=${f.dataDir ?? '(in memory)'}`,
    `tickTime=${f.tickTime}`,
    `minSessionTimeout=${f.minSessionTimeout}`,
    `maxSessionTimeout=${f.maxSessionTimeout}`,
    `jute.maxbuffer=${f.maxFrameSize}`,
    'serverId=0',
    '',
  ].join('\n');
}

const notWhitelisted = (word: string) => `${word} is not executed because it is not in the whitelist.\n`;

export function fourLetterWordResponse(
  word: string,
  facts: ServerFacts,
  whitelist: FourLetterWordWhitelist,
): string {
  if (!isWhitelisted(word, whitelist)) return notWhitelisted(word);
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'srvr':
      return srvr(facts);
    case 'stat':
      return srvr(facts).replace('Latency', 'Clients:\n\nLatency');
    case 'mntr':
      return mntr(facts);
    case 'isro':
      return 'rw';
    case 'conf':
      return conf(facts);
    case 'envi':
      return `Environment:\nzookeeper.version=${facts.version}\nnode.version=${process.version}\n`;
    case 'wchs':
      return `${facts.connections} connections watching paths\nTotal watches:${facts.watchCount}\n`;
    default:
      // Known to ZooKeeper but not implemented here: answered as Apache answers a word it will not run.
      return notWhitelisted(word);
  }
}
