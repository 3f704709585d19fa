/**
 * The TensorFlow.js peer, loaded once: '@tensorflow/tfjs' (so gradients are
 * registered) with the wasm backend (SIMD; its files ship in the npm
 * package, nothing is downloaded). `use('wasm' | 'cpu')` switches backends.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };

let quiet = false;

export async function useTf(backend: 'wasm' | 'cpu'): Promise<typeof tf> {
  if (!quiet) {
    // tfjs prints a hint about tfjs-node on first use; the bench output stays a table.
    tf.env().set('IS_TEST', true);
    quiet = true;
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend ${backend} failed to start`);
  await tf.ready();
  return tf;
}
