import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../src/core/errors.js';
import {
  DEFAULT_PYTHON,
  findJupyterPython,
  kernelInstallCommand,
  kernelspecLocationCommand,
  parseKernelArgs,
  type PythonLookup,
} from '../../src/cli/kernel.js';

function fakeLookup(
  files: Record<string, string>,
  pathEnv = ['/opt/bin', '/usr/bin'].join(path.delimiter),
): PythonLookup {
  return { pathEnv, readHead: (f) => files[f] };
}

describe('npm run kernel', () => {
  test('installs with tslab install, the absolute launcher path as --binary, the chosen python, for the user', () => {
    const cmd = kernelInstallCommand('/proj', '/usr/bin/python3');
    const tslab = path.resolve('/proj/node_modules/.bin/tslab');
    const binary = path.resolve('/proj/bin/fewstep-tslab');
    assert.deepEqual(cmd, {
      command: tslab,
      args: ['install', `--binary=${binary}`, '--python=/usr/bin/python3', '--user'],
    });
  });

  test("uses the python in jupyter's #! line", () => {
    assert.equal(
      findJupyterPython(fakeLookup({ '/usr/bin/jupyter': '#!/usr/bin/python3.11\nimport sys\n' })),
      '/usr/bin/python3.11',
    );
  });

  test('resolves #!/usr/bin/env python3 on PATH, first match wins', () => {
    const files = {
      '/opt/bin/jupyter': '#!/usr/bin/env python3\n',
      '/opt/bin/python3': '\x7fELF',
      '/usr/bin/python3': '\x7fELF',
    };
    assert.equal(findJupyterPython(fakeLookup(files)), '/opt/bin/python3');
  });

  test('falls back to /usr/bin/python3 when jupyter is not on PATH or has no #! line', () => {
    assert.equal(findJupyterPython(fakeLookup({})), DEFAULT_PYTHON);
    assert.equal(findJupyterPython(fakeLookup({ '/usr/bin/jupyter': '\x7fELF binary' })), DEFAULT_PYTHON);
    assert.equal(findJupyterPython({ pathEnv: undefined, readHead: () => undefined }), DEFAULT_PYTHON);
    assert.equal(DEFAULT_PYTHON, '/usr/bin/python3');
  });

  test('--python overrides the lookup; unknown options are rejected', () => {
    assert.deepEqual(parseKernelArgs(['--python', '/x/python'], fakeLookup({})), { python: '/x/python' });
    assert.deepEqual(parseKernelArgs([], fakeLookup({})), { python: DEFAULT_PYTHON });
    assert.throws(() => parseKernelArgs(['--pyhton', '/x'], fakeLookup({})), InvalidArgumentError);
  });

  test('asks the same python where the tslab kernelspec went', () => {
    const cmd = kernelspecLocationCommand('/usr/bin/python3');
    assert.equal(cmd.command, '/usr/bin/python3');
    assert.equal(cmd.args[0], '-c');
    assert.match(cmd.args[1], /get_kernel_spec\('tslab'\)\.resource_dir/);
  });
});
