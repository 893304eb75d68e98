// Entry point of the `banquise` command (bin/banquise.js imports this file).
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
