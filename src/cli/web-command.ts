// `banquise web --static [HOST:PORT]`: serves the browser build (dist/web, from `npm run build:web`)
// with the cross-origin isolation headers, until Ctrl-C.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command } from 'commander';
import { BanquiseError } from '../base/errors.js';
import { DEFAULT_WEB_ADDRESS, parseListenAddress, StaticSiteServer } from '../platform/node/static-site-server.js';

/** dist/web next to this file's dist/cli. */
export function defaultSiteDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', 'web');
}

interface WebOptions {
  static?: string | true;
  dir?: string;
}

const WEB_HELP = `
The page boots a Linux guest inside the browser tab (a Web Worker runs the machine). Build the
site first with \`npm run build:web\` (it copies the default guest images built by \`npm run guest\`).
Any other static server works if it sends these two headers with every file:
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
The default address is loopback only; give 0.0.0.0:PORT to serve other machines.`;

/** Adds the `web` verb to the program. */
export function registerWebCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('web')
    .description('Serve the browser build (a RISC-V Linux machine in a browser tab) as a static site.')
    .option('--static [host:port]', `serve the static site (default ${DEFAULT_WEB_ADDRESS.host}:${DEFAULT_WEB_ADDRESS.port}; port 0 picks a free one)`)
    .option('--dir <folder>', 'site folder to serve (default: dist/web of this installation)')
    .addHelpText('after', WEB_HELP)
    .action(async (opts: WebOptions) => {
      if (opts.static === undefined) {
        throw new BanquiseError('banquise web needs --static [HOST:PORT] (the only mode so far: serve the browser build)', 64);
      }
      const addr = opts.static === true ? DEFAULT_WEB_ADDRESS : parseListenAddress(opts.static);
      const dir = opts.dir ?? defaultSiteDir();
      const server = await StaticSiteServer.listen(dir, addr);
      if (!existsSync(join(server.root, 'index.html'))) process.stderr.write(`banquise: warning: ${server.root} has no index.html (run \`npm run build:web\`)\n`);
      process.stdout.write(`banquise web: serving ${server.root} at ${server.url} (Ctrl-C stops)\n`);
      await new Promise<void>((res) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(res);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      setExit(0);
    });
}
