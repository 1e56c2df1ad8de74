// Dense layer: out = activation(inp · weight + bias), inp is (B,IN), weight is (IN,OUT), out is (B,OUT).

import { matmulForward, matmulBackward } from '../tensor/matmul.ts';
import { biasForward, biasBackward } from '../tensor/bias.ts';
import { reluForward, reluBackward } from '../tensor/relu.ts';
import { type Alloc, float32 } from './alloc.ts';

export type Activation = 'relu' | 'linear';

// Parameter views are handed in (they live in the model's flat buffers); activation
// buffers are made here, once, for the largest batch.
export class Dense {
  readonly preact: Float32Array; // (B,OUT) inp · weight + bias, before the activation
  readonly out: Float32Array; // (B,OUT) after the activation (the same buffer as preact when linear)
  readonly dout: Float32Array; // (B,OUT) gradient of the loss w.r.t. out, filled by the next layer
  readonly dpreact: Float32Array; // (B,OUT) gradient w.r.t. preact (the same buffer as dout when linear)
  readonly inputs: number; readonly outputs: number; readonly activation: Activation;
  readonly weight: Float32Array; readonly bias: Float32Array; // (IN,OUT), (OUT): views into the model's params
  readonly dweight: Float32Array; readonly dbias: Float32Array; // the same views into its grads

  constructor(
    inputs: number, outputs: number, activation: Activation,
    weight: Float32Array, bias: Float32Array, dweight: Float32Array, dbias: Float32Array,
    maxBatch: number, alloc: Alloc = float32,
  ) {
    this.inputs = inputs; this.outputs = outputs; this.activation = activation;
    this.weight = weight; this.bias = bias; this.dweight = dweight; this.dbias = dbias;
    this.preact = alloc(maxBatch * outputs);
    this.out = activation === 'relu' ? alloc(maxBatch * outputs) : this.preact;
    this.dout = alloc(maxBatch * outputs);
    this.dpreact = activation === 'relu' ? alloc(maxBatch * outputs) : this.dout;
  }

  forward(inp: Float32Array, B: number): void {
    matmulForward(this.preact, inp, this.weight, B, this.inputs, this.outputs);
    biasForward(this.preact, this.bias, B, this.outputs);
    if (this.activation === 'relu') reluForward(this.out, this.preact, B * this.outputs);
  }

  // Reads this.dout; accumulates into dweight, dbias and (unless null) dinp.
  backward(dinp: Float32Array | null, inp: Float32Array, B: number): void {
    const n = B * this.outputs;
    if (this.activation === 'relu') {
      this.dpreact.fill(0, 0, n);
      reluBackward(this.dpreact, this.dout, this.preact, n);
    }
    biasBackward(this.dbias, this.dpreact, B, this.outputs);
    matmulBackward(dinp, this.dweight, this.dpreact, inp, this.weight, B, this.inputs, this.outputs);
  }
}
