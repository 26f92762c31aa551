import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DELIMITER,
  decodeMessage,
  encodeMessage,
  newHeader,
  newSigningKey,
  signFrames,
} from '../../src/runner/index.js';

describe('Jupyter wire format', () => {
  test('signFrames is HMAC-SHA256 over the concatenated frames (RFC 4231 test case 2)', () => {
    // RFC 4231 section 4.3: key "Jefe", data "what do ya want for nothing?".
    assert.equal(
      signFrames('Jefe', ['what do ya ', 'want for nothing?']),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  test('an encoded message starts with the delimiter and decodes to the same header and content', () => {
    const key = newSigningKey();
    const header = newHeader('execute_request', 'session-1');
    const frames = encodeMessage(key, header, { code: '1 + 1' }, { msg_id: 'parent' });
    assert.ok(frames[0].equals(DELIMITER));
    assert.equal(frames.length, 6);
    const msg = decodeMessage(key, frames);
    assert.deepEqual(msg.header, header);
    assert.deepEqual(msg.content, { code: '1 + 1' });
    assert.equal(msg.parent_header.msg_id, 'parent');
    assert.equal(header.version, '5.3');
  });

  test('routing identities and topics before the delimiter are skipped', () => {
    const key = 'k';
    const frames = encodeMessage(key, newHeader('status', 's'), { execution_state: 'idle' });
    const msg = decodeMessage(key, [Buffer.from('identity-a'), Buffer.from('identity-b'), ...frames]);
    assert.equal(msg.content.execution_state, 'idle');
  });

  test('a message with a wrong signature or another key is rejected', () => {
    const frames = encodeMessage('right-key', newHeader('status', 's'), {});
    assert.throws(() => decodeMessage('wrong-key', frames), /invalid HMAC signature/);
    const tampered = [...frames];
    tampered[5] = Buffer.from('{"execution_state":"busy"}');
    assert.throws(() => decodeMessage('right-key', tampered), /invalid HMAC signature/);
  });

  test('a message without the delimiter or with too few frames is rejected', () => {
    assert.throws(() => decodeMessage('k', [Buffer.from('a'), Buffer.from('b')]), /delimiter/);
    assert.throws(() => decodeMessage('k', [DELIMITER, Buffer.from('sig'), Buffer.from('{}')]), /expected at least 5/);
  });

  test('signing keys are 64 hex characters and differ each time', () => {
    const a = newSigningKey();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, newSigningKey());
  });
});
