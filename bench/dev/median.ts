// The median of a list of measurements (the mean of the middle two for an even count), for the
// benchmark scripts, which report medians of rounds on this noisy shared machine.
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
