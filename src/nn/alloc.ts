// How layers make their buffers. Training uses plain Float32Arrays; the gradient tests hand in
// float64 storage (the kernels are plain loops, so they then compute in double precision).

export type Alloc = (length: number) => Float32Array;

export const float32: Alloc = (length) => new Float32Array(length);
