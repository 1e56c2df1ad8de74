// Where a thread's own buffers are made: on the JS heap, or in a region of the WebAssembly.Memory
// the SIMD kernels (simd.ts) read, since they can read nothing else.

// Hands out pieces of one region of a memory, 16-byte aligned (a v128's width): the buffers a
// thread keeps for itself, where the kernels can read them.
export interface Arena {
  f32(n: number): Float32Array;
  f64(n: number): Float64Array;
  i32(n: number): Int32Array;
  u16(n: number): Uint16Array;
}

export const HEAP: Arena = { f32: (n) => new Float32Array(n), f64: (n) => new Float64Array(n), i32: (n) => new Int32Array(n), u16: (n) => new Uint16Array(n) };

// With buffer null, only counts: arena.used after the same calls is the region's size.
export function regionArena(buffer: ArrayBufferLike | null, offset: number): Arena & { used: number } {
  const arena = {
    used: 0,
    take<T>(make: (b: ArrayBufferLike, o: number, n: number) => T, n: number, size: number): T {
      const o = offset + arena.used;
      arena.used += Math.ceil((n * size) / 16) * 16;
      return buffer === null ? (null as T) : make(buffer, o, n);
    },
    f32: (n: number) => arena.take((b, o, k) => new Float32Array(b, o, k), n, 4),
    f64: (n: number) => arena.take((b, o, k) => new Float64Array(b, o, k), n, 8),
    i32: (n: number) => arena.take((b, o, k) => new Int32Array(b, o, k), n, 4),
    u16: (n: number) => arena.take((b, o, k) => new Uint16Array(b, o, k), n, 2),
  };
  return arena;
}
