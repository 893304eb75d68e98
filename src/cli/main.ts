// Placeholder; the command-line front end is built by the machine/CLI work.
console.error('banquise: no commands yet');
process.exit(64);
