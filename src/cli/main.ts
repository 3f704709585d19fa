/**
 * The entry point of the `dsmoe` binary (bundled to dist/node/cli.js).
 * Importing the package entry registers autograd and the backends.
 */
import '../index.js';
import { main } from './dsmoe.js';

// The wasm backend's worker threads would keep the process alive: exit explicitly when done.
main(process.argv.slice(2)).then((code) => process.exit(code));
