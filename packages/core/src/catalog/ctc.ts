import * as tf from '@tensorflow/tfjs';
import { logAddExp } from './keras-ops.js';

/**
 * Keras 3's `ctc` loss on the JAX backend (`ops.ctc_loss`, after optax's
 * ctc_loss_with_forward_probs): y_true holds integer labels [batch, maxLabelLength] padded with
 * 0, which is also the blank class; y_pred holds logits [batch, time, classes] (log-softmax is
 * taken here). Every sequence uses all `time` steps, as Keras's `ctc` does. One value per sample.
 */
export function ctc(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const [batch, time, classes] = yPred.shape as [number, number, number];
  const maxLabel = yTrue.shape[1]!;
  const logEpsilon = -1e5;
  const target = tf.cast(yTrue, 'int32');
  const labelLengths = tf.sum(tf.cast(tf.notEqual(target, 0), 'int32'), -1);
  const logProbs = tf.logSoftmax(yPred, -1);

  // repeat[b, n] = 1 where label n equals label n + 1 (the last column is 0)
  const repeat = tf.concat(
    [tf.cast(tf.equal(tf.slice(target, [0, 0], [batch, maxLabel - 1]), tf.slice(target, [0, 1], [batch, maxLabel - 1])), 'float32'), tf.zeros([batch, 1])],
    1,
  );
  const logProbsBlank = tf.slice(logProbs, [0, 0, 0], [batch, time, 1]); // [B, T, 1]
  const oneHotLabels = tf.oneHot(target, classes).toFloat(); // [B, N, K]
  const logProbsEmit = tf.matMul(logProbs, oneHotLabels, false, true); // [B, T, N]

  const phiInit = tf.concat([tf.zeros([batch, 1]), tf.fill([batch, maxLabel], logEpsilon)], 1); // [B, N+1]
  const emitInit = tf.fill([batch, maxLabel], logEpsilon);
  const updatePhi = (phi: tf.Tensor, added: tf.Tensor) =>
    tf.concat([tf.slice(phi, [0, 0], [batch, 1]), logAddExp(tf.slice(phi, [0, 1], [batch, maxLabel]), added)], 1);

  let phi = phiInit;
  let emit = emitInit;
  const repeatPenalty = tf.mul(repeat, logEpsilon);
  const noRepeatPenalty = tf.mul(tf.sub(1, repeat), logEpsilon);
  for (let t = 0; t < time; t++) {
    const emitT = tf.reshape(tf.slice(logProbsEmit, [0, t, 0], [batch, 1, maxLabel]), [batch, maxLabel]);
    const blankT = tf.reshape(tf.slice(logProbsBlank, [0, t, 0], [batch, 1, 1]), [batch, 1]);
    const prevPhi = updatePhi(phi, tf.add(emit, repeatPenalty));
    const nextEmit = logAddExp(tf.add(tf.slice(prevPhi, [0, 0], [batch, maxLabel]), emitT), tf.add(emit, emitT));
    const nextPhi = updatePhi(tf.add(prevPhi, blankT), tf.add(tf.add(emit, blankT), noRepeatPenalty));
    phi = nextPhi;
    emit = nextEmit;
  }
  const lastPhi = updatePhi(phi, emit);
  const pick = tf.oneHot(labelLengths, maxLabel + 1).toFloat();
  return tf.neg(tf.sum(tf.mul(lastPhi, pick), -1));
}
