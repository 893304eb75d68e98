// A MigrationLink over a TCP (or Unix) socket: what a daemon-to-daemon live migration runs on.
// Authentication (the destination daemon's token) belongs to whoever opens the socket.
import type { Socket } from 'node:net';
import type { MigrationLink } from '../../control/migration/migration-link.js';

/** Wraps a connected socket: `send` waits for the socket to drain (backpressure). */
export function socketMigrationLink(socket: Socket): MigrationLink {
  let broken: Error | undefined;
  socket.on('error', (err) => (broken ??= err));
  socket.on('close', () => (broken ??= new Error('migration connection closed')));
  return {
    send: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (broken !== undefined) return reject(broken);
        const ok = socket.write(chunk, (err) => {
          if (err) reject(err);
        });
        if (ok) resolve();
        else {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            if (broken !== undefined) reject(broken);
            else resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        }
      }),
    receive: socket,
    close: () => {
      socket.end();
    },
  };
}
