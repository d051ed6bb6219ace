/**
 * `npm test`'s set-up: installs what the test suite runs against and a fresh machine lacks, once.
 * Debian packages (apt-get, as root or through password-less sudo), then Kafka's jars and franz-go
 * (test/compat/kafka-tools/fetch-deps.sh, cached under ~/.cache/sluice). Prints one line per thing
 * it installs and nothing when everything is there (a warm run is a few file checks). Without a way
 * to install, it names what is missing in one line and fails. SLUICE_TEST_SETUP=skip skips it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface DebianPackage {
  name: string;
  /** Whether what the tests use is already there (installed by apt or otherwise). */
  present(): boolean;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** dpkg's record of an installed package: cheaper than starting the program it ships. */
function dpkgInstalled(name: string): boolean {
  return ['', ':amd64', ':arm64', ':all'].some((arch) =>
    existsSync(`/var/lib/dpkg/info/${name}${arch}.list`),
  );
}

/** Debian's python3 (the compat tier uses /usr/bin/python3, not a pyenv one) imports `module`. */
function pythonImports(module: string): boolean {
  return spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

const PACKAGES: DebianPackage[] = [
  { name: 'zookeeper', present: () => existsSync('/usr/share/zookeeper/bin/zkServer.sh') },
  { name: 'kcat', present: () => onPath('kcat') },
  { name: 'docker-compose', present: () => onPath('docker-compose') },
  {
    name: 'python3-confluent-kafka',
    present: () => dpkgInstalled('python3-confluent-kafka') || pythonImports('confluent_kafka'),
  },
  { name: 'python3-kafka', present: () => dpkgInstalled('python3-kafka') || pythonImports('kafka') },
  // The Kafka-tools compat tier: Apache Kafka's tools and Java client, from Maven Central.
  { name: 'openjdk-17-jdk-headless', present: () => onPath('java') },
  { name: 'maven', present: () => onPath('mvn') },
];

function say(line: string): void {
  console.log(`test setup: ${line}`);
}

/** How to run apt-get here: directly as root, through sudo without a password, or not at all. */
function aptRunner(): string[] | null {
  if (!onPath('apt-get')) return null;
  if (process.getuid?.() === 0) return [];
  if (onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0)
    return ['sudo', '-n'];
  return null;
}

function run(command: string[], what: string): void {
  const [program, ...args] = command;
  const result = spawnSync(program!, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout);
    process.stderr.write(result.stderr);
    throw new Error(`${what} failed (${command.join(' ')})`);
  }
}

function installDebianPackages(): void {
  const missing = PACKAGES.filter((p) => !p.present()).map((p) => p.name);
  if (missing.length === 0) return;
  const runner = aptRunner();
  if (runner === null) {
    console.error(
      `test setup: the tests need Debian packages that are missing: run \`sudo apt-get install -y ${missing.join(' ')}\` (or set SLUICE_TEST_SETUP=skip to run without them)`,
    );
    process.exit(1);
  }
  run([...runner, 'apt-get', 'update', '-qq'], 'apt-get update');
  run([...runner, 'apt-get', 'install', '-y', '-qq', ...missing], 'apt-get install');
  for (const name of missing) say(`installed ${name} (apt-get)`);
}

/** Kafka's jars and franz-go: fetch-deps.sh keeps them cached and says what it fetched or built. */
function fetchCompatDeps(): void {
  const script = join(projectRoot, 'test', 'compat', 'kafka-tools', 'fetch-deps.sh');
  const result = spawnSync(script, [], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const line of result.stdout.toString().split('\n').filter(Boolean))
    say(line.replace(/^fetch-deps: /, ''));
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error('test/compat/kafka-tools/fetch-deps.sh failed');
  }
}

if (process.env.SLUICE_TEST_SETUP !== 'skip') {
  try {
    installDebianPackages();
    fetchCompatDeps();
  } catch (error) {
    console.error(`test setup: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
