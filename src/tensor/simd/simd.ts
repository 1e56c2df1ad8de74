// The WebAssembly SIMD twins (kernels.wat), with the same signatures as their JS twins: each takes
// Float32Array views, which must lie in the one WebAssembly.Memory the module was made for, and
// passes their byte offsets. Float32 arithmetic, four lanes at a time: within 1e-5 of the naive
// twins (test/simd.test.ts), not bit for bit. A run still repeats bit for bit: each number is
// computed the same way whichever thread computes it.

import { KERNELS_WASM_SHARED, KERNELS_WASM_LOCAL } from './kernels.gen.ts';
import { adamStepSize, type adamUpdate } from '../adam.ts';
import { matmulForwardSparse } from '../matmul.ts';
import { sparseBackwardAdam } from '../fused.ts';
import type { NonZeros } from '../nonzeros.ts';

interface Exports {
  adam(p: number, m: number, v: number, g: number, n: number, lrT: number, beta1: number, c1: number, beta2: number, c2: number, eps: number): number;
  sparseForward(out: number, rowCount: number, rowIndex: number, rowValue: number, W: number, B: number, IN: number, OUT: number): void;
  sparseBackwardAdam(W: number, m: number, v: number, gradRow: number, dout: number, colCount: number, colIndex: number, colValue: number,
    lit: number, maxBatch: number, OUT: number, i0: number, i1: number, lrT: number, beta1: number, c1: number, beta2: number, c2: number, eps: number): number;
}

export interface SimdKernels {
  adamUpdate: typeof adamUpdate;
  matmulForwardSparse: typeof matmulForwardSparse;
  sparseBackwardAdam: typeof sparseBackwardAdam;
}

// A memory for the kernels: shared (its buffer a SharedArrayBuffer) for threads, else plain.
export function makeMemory(bytes: number, shared: boolean): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
}

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// The kernels over `memory`. Compiled synchronously: the module is about 1 KB, and a training
// thread (a worker on the web page) may block.
export function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const module = new WebAssembly.Module(bytesOf(shared ? KERNELS_WASM_SHARED : KERNELS_WASM_LOCAL));
  const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  const buffer = memory.buffer; // fixed size (maximum = initial), so never detached
  const at = (a: ArrayBufferView): number => {
    if (a.buffer !== buffer) throw new Error('simd kernels: an array outside the kernels\' WebAssembly.Memory');
    return a.byteOffset;
  };
  return {
    adamUpdate(params, m, v, grads, config, t, n) {
      if (params.length < n || m.length < n || v.length < n || grads.length < n) throw new Error('adamUpdate (simd): buffer sizes do not fit n');
      const { beta1, beta2, epsilon } = config;
      return wasm.adam(at(params), at(m), at(v), at(grads), n, adamStepSize(config, t), beta1, 1 - beta1, beta2, 1 - beta2, epsilon) === 1;
    },
    // Sizes are checked by the JS twin's rules; OUT not a multiple of 8 runs the JS twin.
    matmulForwardSparse(out, nz, weight, B, IN, OUT) {
      if (OUT % 8 !== 0 || B === 0) return matmulForwardSparse(out, nz, weight, B, IN, OUT);
      checkSparse(nz, B, IN);
      if (out.length < B * OUT || weight.length !== IN * OUT) throw new Error('matmulForwardSparse (simd): buffer sizes do not fit the shapes');
      wasm.sparseForward(at(out), at(nz.rowCount), at(nz.rowIndex), at(nz.rowValue), at(weight), B, IN, OUT);
    },
    sparseBackwardAdam(W, m, v, gradRow, dout, nz, lit, config, t, B, IN, OUT, i0 = 0, i1 = IN) {
      if (OUT % 8 !== 0) return sparseBackwardAdam(W, m, v, gradRow, dout, nz, lit, config, t, B, IN, OUT, i0, i1);
      checkSparse(nz, B, IN);
      if (W.length !== IN * OUT || m.length < IN * OUT || v.length < IN * OUT || gradRow.length !== OUT || dout.length < B * OUT
        || lit.length !== IN || i0 < 0 || i0 > i1 || i1 > IN) throw new Error('sparseBackwardAdam (simd): buffer sizes do not fit the shapes');
      const { beta1, beta2, epsilon } = config;
      return wasm.sparseBackwardAdam(at(W), at(m), at(v), at(gradRow), at(dout), at(nz.colCount), at(nz.colIndex), at(nz.colValue), at(lit),
        nz.maxBatch, OUT, i0, i1, adamStepSize(config, t), beta1, 1 - beta1, beta2, 1 - beta2, epsilon) === 1;
    },
  };
}

function checkSparse(nz: NonZeros, B: number, IN: number): void {
  if (nz.N !== IN || B > nz.maxBatch) throw new Error(`simd kernels: non-zeros gathered for ${nz.maxBatch}x${nz.N}, not ${B}x${IN}`);
}
