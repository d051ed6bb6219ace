import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * "Adding an API is one declaration file and one list entry" (docs/adding-an-api.md), checked by doing
 * it: a scratch copy of protocol/ gets a new file for a made-up API and its entry in
 * protocol/messages/index.ts, and nothing else. A program that uses `ApiKey.Echo`, the body maps and
 * the codec must then typecheck and round-trip; without the list entry it must not compile.
 */

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../../..');
const bin = (name: string) => join(repo, 'node_modules', '.bin', name);

// The whole declaration of a new API, as a contributor would write it.
const ECHO_FILE = `import { defineApi, type RequestBody, type ResponseBody } from '../schema/api-declaration.js';

// Echo (api key 32000), versions 0-1: a made-up API for the adding-an-API test.

export const echoApi = defineApi({
  apiKey: 32000,
  name: 'Echo',
  versions: [0, 1],
  flexibleFrom: 1,
  request: [
    { name: 'text', type: 'string', about: 'What to echo.' },
    { name: 'times', type: 'int32', versions: '1+', default: 1 },
  ],
  response: [
    { name: 'errorCode', type: 'int16' },
    { name: 'echoes', type: '[]string' },
  ],
});

export type EchoRequest = RequestBody<typeof echoApi>;
export type EchoResponse = ResponseBody<typeof echoApi>;
`;

// Uses the new API only through what the list derives: ApiKey, the body maps, the codec.
const CHECK_PROGRAM = `import {
  ApiKey,
  apiDescriptor,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type EchoRequest,
  type RequestBodies,
  type ResponseBodies,
} from './protocol/index.js';

const key: 32000 = ApiKey.Echo;
const request: RequestBodies[typeof ApiKey.Echo] = { text: 'hello', times: 3 };
const typed: EchoRequest = request;
const frame = encodeRequest({ apiKey: key, apiVersion: 1, correlationId: 7, clientId: 'check' }, typed);
const decoded = decodeRequest(frame.subarray(4));
if (decoded.apiKey !== ApiKey.Echo) throw new Error('decoded as api ' + decoded.apiKey);
const text: string = decoded.body.text;
const response: ResponseBodies[typeof ApiKey.Echo] = { errorCode: 0, echoes: [text, text] };
const answer = decodeResponse(key, 0, encodeResponse(key, 0, 7, response).subarray(4));
const api = apiDescriptor(key);
process.stdout.write(
  JSON.stringify({
    name: api?.name,
    versions: [api?.minVersion, api?.maxVersion],
    flexibleFrom: api?.flexibleFrom,
    request: decoded.body,
    header: decoded.header,
    response: answer.body,
    v0Request: decodeRequest(
      encodeRequest({ apiKey: key, apiVersion: 0, correlationId: 8, clientId: null }, request).subarray(4),
    ).body,
  }),
);
`;

/** The list entry: the import, the element in API_DESCRIPTORS, and the re-export of its body types. */
function addListEntry(index: string): string {
  const lastImport = index.lastIndexOf("Api } from './");
  const importEnd = index.indexOf('\n', lastImport) + 1;
  const listEnd = index.indexOf('] as const satisfies readonly ApiDescriptor[];');
  if (lastImport < 0 || listEnd < 0) throw new Error('protocol/messages/index.ts changed shape');
  return (
    index.slice(0, importEnd) +
    "import { echoApi } from './echo.js';\n" +
    index.slice(importEnd, listEnd) +
    '  echoApi,\n' +
    index.slice(listEnd) +
    "export * from './echo.js';\n"
  );
}

async function typecheck(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: dir });
    return { ok: true, output: '' };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: stdout + stderr };
  }
}

describe('adding an API', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-add-api-'));
    await cp(join(repo, 'protocol'), join(dir, 'protocol'), { recursive: true });
    await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(repo, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: '.' },
        include: ['protocol', 'check.ts'],
      }),
    );
    await writeFile(join(dir, 'check.ts'), CHECK_PROGRAM);
    await writeFile(join(dir, 'protocol/messages/echo.ts'), ECHO_FILE);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('does not compile with the declaration file alone (the list is what the codec knows)', async () => {
    const result = await typecheck(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/check\.ts.*'Echo'|check\.ts.*EchoRequest/);
  });

  it('needs nothing but the file and its list entry: ApiKey, body maps and codec pick it up', async () => {
    const indexPath = join(dir, 'protocol/messages/index.ts');
    await writeFile(indexPath, addListEntry(await readFile(indexPath, 'utf8')));

    const result = await typecheck(dir);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);

    const { stdout } = await run(bin('tsx'), [join(dir, 'check.ts')], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({
      name: 'Echo',
      versions: [0, 1],
      flexibleFrom: 1,
      request: { text: 'hello', times: 3 },
      header: { apiKey: 32000, apiVersion: 1, correlationId: 7, clientId: 'check' },
      response: { errorCode: 0, echoes: ['hello', 'hello'] },
      v0Request: { text: 'hello' },
    });
  });
});
