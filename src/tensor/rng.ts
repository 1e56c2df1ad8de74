// Seeded pseudo-random numbers: one small generator drives init, shuffling and dropout,
// so a run is reproducible bit for bit from its seed.

// sfc32 (Chris Doty-Humphrey's "small fast counting" generator): 128 bits of state,
// passes PractRand, and needs only 32-bit integer ops, which JS does fast.
export interface Rng {
  a: number;
  b: number;
  c: number;
  d: number;
}

// splitmix32 spreads a small seed (1, 2, 3...) over the whole state, so nearby seeds
// give unrelated streams; `stream` lets one seed feed independent generators.
export function makeRng(seed: number, stream = 0): Rng {
  let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const rng = { a: next(), b: next(), c: next(), d: next() };
  for (let i = 0; i < 12; i++) nextUint32(rng); // warm up: the first outputs of sfc32 are weak
  return rng;
}

export function nextUint32(r: Rng): number {
  const t = (((r.a + r.b) | 0) + r.d) | 0;
  r.d = (r.d + 1) | 0;
  r.a = r.b ^ (r.b >>> 9);
  r.b = (r.c + (r.c << 3)) | 0;
  r.c = (r.c << 21) | (r.c >>> 11);
  r.c = (r.c + t) | 0;
  return t >>> 0;
}

// Uniform in [0, 1) with 32 bits of resolution.
export function nextFloat(r: Rng): number {
  return nextUint32(r) / 4294967296;
}

// Fisher-Yates shuffle in place: every permutation equally likely.
export function shuffle(order: Uint32Array, r: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(nextFloat(r) * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
}
