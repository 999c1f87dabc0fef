import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** Paths never written to a log line, wherever they appear. */
const REDACT = [
  'password', '*.password', '*.*.password',
  'token', '*.token', '*.*.token',
  'passwordHash', '*.passwordHash',
  'authorization', '*.authorization', 'req.headers.authorization', 'headers.authorization',
  'reconnectionToken', '*.reconnectionToken',
  'jwtSecret', '*.jwtSecret', 'monitorPassword', '*.monitorPassword',
];

/** The process logger: JSON lines on stdout with secrets redacted. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { pid: process.pid } });
}
