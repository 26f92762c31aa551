import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The frame that separates ZeroMQ routing identities from a Jupyter message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** Header of a Jupyter message (messaging protocol 5.3). */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded Jupyter message; `parent_header` is `{}` when there is none. */
export interface JupyterMessage<C = Record<string, unknown>> {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** A random key for the connection file's HMAC-SHA256 signatures (64 hex characters). */
export function newSigningKey(): string {
  return randomBytes(32).toString('hex');
}

/** HMAC-SHA256 over the four JSON frames, hex encoded: the Jupyter wire signature. */
export function signFrames(key: string, frames: readonly (string | Buffer)[]): string {
  const hmac = createHmac('sha256', key);
  for (const f of frames) hmac.update(f);
  return hmac.digest('hex');
}

/** A new message header for `msgType` in `session`. */
export function newHeader(msgType: string, session: string): MessageHeader {
  return {
    msg_id: randomUUID(),
    session,
    username: 'fewstep',
    date: new Date().toISOString(),
    msg_type: msgType,
    version: '5.3',
  };
}

/** Frames of a signed message, starting with the delimiter (a Dealer socket adds no identity). */
export function encodeMessage(
  key: string,
  header: MessageHeader,
  content: unknown,
  parent: Partial<MessageHeader> = {},
  metadata: Record<string, unknown> = {},
): Buffer[] {
  const body = [JSON.stringify(header), JSON.stringify(parent), JSON.stringify(metadata), JSON.stringify(content)].map(
    (s) => Buffer.from(s, 'utf8'),
  );
  return [DELIMITER, Buffer.from(signFrames(key, body), 'ascii'), ...body];
}

/**
 * Decodes the frames of a received message (routing identities or a subscription topic before the
 * delimiter are skipped) and checks its signature. Throws on a missing delimiter, bad JSON or a
 * signature that does not match `key`.
 */
export function decodeMessage(key: string, frames: readonly Buffer[]): JupyterMessage {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) throw new Error('Jupyter message without the <IDS|MSG> delimiter');
  if (frames.length < at + 6)
    throw new Error(`Jupyter message with ${frames.length - at - 1} frames after the delimiter; expected at least 5`);
  const signature = frames[at + 1];
  const body = frames.slice(at + 2, at + 6);
  if (key) {
    const expected = Buffer.from(signFrames(key, body), 'ascii');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Error('Jupyter message with an invalid HMAC signature');
    }
  }
  const [header, parent, metadata, content] = body.map((b) => JSON.parse(b.toString('utf8')) as unknown);
  return {
    header: header as MessageHeader,
    parent_header: (parent ?? {}) as Partial<MessageHeader>,
    metadata: (metadata ?? {}) as Record<string, unknown>,
    content: (content ?? {}) as Record<string, unknown>,
    buffers: frames.slice(at + 6),
  };
}
