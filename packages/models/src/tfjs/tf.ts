// One import point for TensorFlow.js, so every module shares the engine that `selectBackend`
// configured (tfjs-node re-exports this same package when it is installed).
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
