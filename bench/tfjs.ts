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
    // Production mode, as a deployed app runs it (no debug checks).
    tf.env().set('PROD', true);
    quiet = true;
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend ${backend} failed to start`);
  await tf.ready();
  return tf;
}
