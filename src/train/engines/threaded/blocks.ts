// How the threaded engine cuts the network between its threads: the hidden units (128 in the Keras
// model) in T contiguous blocks, one per thread (see slice.ts for what a block owns).

import type { ModelShape } from '../../../nn/model.ts';

// Where block t's units and parameters sit. Blocks are multiples of 8 units where possible (the fast
// kernels sum 8 outputs at a time).
export interface Block {
  h0: number; // first hidden unit
  hidden: number; // Ht, units in this block
  offset: number; // start of [W1_t, b1_t, W2_t] in the flat parameters
  size: number; // their length, plus C for the last block's b2
}

export function blocks(shape: ModelShape, threads: number): Block[] {
  const { inputs: IN, hidden: H, classes: C } = shape;
  const groups = Math.ceil(H / 8);
  const out: Block[] = [];
  let offset = 0;
  for (let t = 0; t < threads; t++) {
    const h0 = Math.min(H, 8 * Math.floor((groups * t) / threads));
    const h1 = t === threads - 1 ? H : Math.min(H, 8 * Math.floor((groups * (t + 1)) / threads));
    const hidden = h1 - h0;
    const size = IN * hidden + hidden + hidden * C + (t === threads - 1 ? C : 0);
    out.push({ h0, hidden, offset, size });
    offset += size;
  }
  return out;
}
