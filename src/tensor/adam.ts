// Adam (Kingma & Ba), as Keras applies it, over n flat parameters in one pass.
// Keras folds both bias corrections into the step size and adds epsilon to sqrt(v) uncorrected:
//   m = β1·m + (1-β1)·g,  v = β2·v + (1-β2)·g²,
//   lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t),  p -= lr_t · m / (sqrt(v) + ε).

export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

// lr_t for step t (1-based), with both bias corrections folded in.
export function adamStepSize(config: AdamConfig, t: number): number {
  return config.learningRate * Math.sqrt(1 - Math.pow(config.beta2, t)) / (1 - Math.pow(config.beta1, t));
}

// t is the 1-based step count after this update. Returns false if any gradient was NaN or infinite.
export function adamUpdate(
  params: Float32Array, m: Float32Array, v: Float32Array, grads: Float32Array,
  config: AdamConfig, t: number, n: number,
): boolean {
  const { beta1, beta2, epsilon } = config;
  const lrT = adamStepSize(config, t);
  let poison = 0; // g·0 is 0 for every finite g and NaN for NaN or ±Infinity: a free finiteness check
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    poison += g * 0;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    params[i] -= lrT * m[i] / (Math.sqrt(v[i]) + epsilon);
  }
  return poison === 0;
}

// Fast twin of adamUpdate: the same arithmetic, with each value read once into a local and the
// constants hoisted, so the loop is loads, a few multiply-adds, one square root and one division.
export function adamUpdateFast(
  params: Float32Array, m: Float32Array, v: Float32Array, grads: Float32Array,
  config: AdamConfig, t: number, n: number,
): boolean {
  const { beta1, beta2, epsilon } = config;
  const lrT = adamStepSize(config, t);
  const c1 = 1 - beta1, c2 = 1 - beta2;
  let poison = 0;
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    poison += g * 0;
    const mi = beta1 * m[i] + c1 * g;
    const vi = beta2 * v[i] + c2 * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] -= lrT * mi / (Math.sqrt(vi) + epsilon);
  }
  return poison === 0;
}
