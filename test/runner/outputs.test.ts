import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CellOutputCollector, type DisplayRegistry } from '../../src/runner/index.js';

describe('CellOutputCollector', () => {
  test('merges consecutive stream text of the same name and keeps stderr separately', () => {
    const c = new CellOutputCollector();
    c.handle('stream', { name: 'stdout', text: 'a\n' });
    c.handle('stream', { name: 'stdout', text: 'b\n' });
    c.handle('stream', { name: 'stderr', text: 'oops\n' });
    c.handle('stream', { name: 'stdout', text: 'c\n' });
    assert.deepEqual(c.outputs, [
      { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
      { output_type: 'stream', name: 'stderr', text: 'oops\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\n' },
    ]);
    assert.equal(c.stderr, 'oops\n');
  });

  test('display_data keeps data and metadata and drops the transient field', () => {
    const c = new CellOutputCollector();
    c.handle('display_data', { data: { 'image/png': 'iVBO' }, metadata: { w: 1 }, transient: { display_id: 'x' } });
    assert.deepEqual(c.outputs, [{ output_type: 'display_data', data: { 'image/png': 'iVBO' }, metadata: { w: 1 } }]);
  });

  test('execute_result carries its execution_count', () => {
    const c = new CellOutputCollector();
    c.handle('execute_result', { data: { 'text/plain': '2' }, metadata: {}, execution_count: 7 });
    assert.deepEqual(c.outputs, [
      { output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 7 },
    ]);
  });

  test('update_display_data replaces the output with the same display id, also in an earlier cell', () => {
    const displays: DisplayRegistry = new Map();
    const first = new CellOutputCollector(displays);
    first.handle('display_data', { data: { 'text/plain': 'old' }, metadata: {}, transient: { display_id: 'd1' } });
    const second = new CellOutputCollector(displays);
    second.handle('update_display_data', {
      data: { 'text/plain': 'new' },
      metadata: {},
      transient: { display_id: 'd1' },
    });
    assert.deepEqual(first.outputs, [{ output_type: 'display_data', data: { 'text/plain': 'new' }, metadata: {} }]);
    assert.deepEqual(second.outputs, []);
  });

  test('error messages become error outputs and count as stderr text', () => {
    const c = new CellOutputCollector();
    c.handle('error', {
      ename: 'TypeError',
      evalue: 'x is undefined',
      traceback: ['TypeError: x is undefined', '    at cell'],
    });
    assert.deepEqual(c.outputs, [
      {
        output_type: 'error',
        ename: 'TypeError',
        evalue: 'x is undefined',
        traceback: ['TypeError: x is undefined', '    at cell'],
      },
    ]);
    assert.match(c.stderr, /TypeError: x is undefined/);
  });

  test('clear_output empties the cell at once, or at the next output when wait is set', () => {
    const c = new CellOutputCollector();
    c.handle('stream', { name: 'stdout', text: 'a' });
    c.handle('clear_output', { wait: false });
    assert.deepEqual(c.outputs, []);
    c.handle('stream', { name: 'stdout', text: 'b' });
    c.handle('clear_output', { wait: true });
    assert.equal(c.outputs.length, 1);
    c.handle('stream', { name: 'stdout', text: 'c' });
    assert.deepEqual(c.outputs, [{ output_type: 'stream', name: 'stdout', text: 'c' }]);
  });

  test('status and execute_input messages are not outputs', () => {
    const c = new CellOutputCollector();
    assert.equal(c.handle('status', { execution_state: 'busy' }), false);
    assert.equal(c.handle('execute_input', { code: '1', execution_count: 1 }), false);
    assert.deepEqual(c.outputs, []);
  });
});
