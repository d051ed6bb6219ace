import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APACHE_ZOOKEEPER_INSTALL_HINT,
  apacheZooKeeperAvailable,
  startApacheZooKeeper,
  type ApacheZooKeeper,
} from '../../coordinator/apache-ensemble.js';
import { fourLetterWord } from '../../coordinator/four-letter-word.js';
import { startZooKeeperServer, type EmbeddedZooKeeper } from '../../coordinator/server/index.js';

/**
 * The embedded coordinator answers only the four-letter words on its whitelist (ZooKeeper's
 * `4lw.commands.whitelist`), by default the ones health checks use, and refuses the others in the words
 * Apache ZooKeeper uses: `conf` would otherwise show the data dir, `envi` the environment, `cons` clients.
 */

const refusal = (word: string) => `${word} is not executed because it is not in the whitelist.\n`;
const disclosing = ['conf', 'envi', 'wchs', 'stat', 'cons', 'dump'];

describe('four-letter word whitelist on the embedded coordinator', () => {
  const servers: EmbeddedZooKeeper[] = [];
  afterAll(() => Promise.all(servers.map((server) => server.close())));

  async function start(fourLetterWordWhitelist?: string) {
    const server = await startZooKeeperServer({ port: 0, fourLetterWordWhitelist });
    servers.push(server);
    return server.port;
  }

  it('answers srvr, ruok and mntr by default and refuses every other word', async () => {
    const port = await start();
    expect(await fourLetterWord('127.0.0.1', port, 'ruok')).toBe('imok');
    expect(await fourLetterWord('127.0.0.1', port, 'srvr')).toMatch(/^Zookeeper version: /);
    expect(await fourLetterWord('127.0.0.1', port, 'mntr')).toMatch(/^zk_version\t/);
    for (const word of disclosing) {
      expect(await fourLetterWord('127.0.0.1', port, word)).toBe(refusal(word));
    }
  });

  it('answers exactly the listed words when given a list, and every word with *', async () => {
    const listed = await start('ruok, conf');
    expect(await fourLetterWord('127.0.0.1', listed, 'conf')).toMatch(/^clientPort=\d+$/m);
    expect(await fourLetterWord('127.0.0.1', listed, 'ruok')).toBe('imok');
    expect(await fourLetterWord('127.0.0.1', listed, 'srvr')).toBe(refusal('srvr'));

    const all = await start('*');
    expect(await fourLetterWord('127.0.0.1', all, 'conf')).toMatch(/^clientPort=\d+$/m);
    expect(await fourLetterWord('127.0.0.1', all, 'envi')).toMatch(/^Environment:/);
    expect(await fourLetterWord('127.0.0.1', all, 'wchs')).toMatch(/Total watches:\d+/);
  });

  it('refuses to start with a word ZooKeeper does not know', async () => {
    await expect(startZooKeeperServer({ port: 0, fourLetterWordWhitelist: 'ruok,oops' })).rejects.toThrow(
      /unknown four-letter word.*oops/,
    );
  });
});

describe('four-letter word whitelist: the embedded coordinator answers as Apache ZooKeeper does', () => {
  let apache: ApacheZooKeeper;
  let embedded: EmbeddedZooKeeper;

  beforeAll(async () => {
    if (!apacheZooKeeperAvailable()) throw new Error(APACHE_ZOOKEEPER_INSTALL_HINT);
    const whitelist = 'srvr,ruok,mntr';
    [apache, embedded] = await Promise.all([
      startApacheZooKeeper({ nodes: 1, extraConfig: { '4lw.commands.whitelist': whitelist } }),
      startZooKeeperServer({ port: 0, fourLetterWordWhitelist: whitelist }),
    ]);
  });
  afterAll(() => Promise.all([apache?.close(), embedded?.close()]));

  it('gives the same answer to a word that is not listed, and the same to ruok', async () => {
    for (const word of [...disclosing, 'ruok']) {
      const fromApache = await fourLetterWord('127.0.0.1', apache.nodes[0]!.port, word);
      expect(await fourLetterWord('127.0.0.1', embedded.port, word), word).toBe(fromApache);
    }
  });
});
