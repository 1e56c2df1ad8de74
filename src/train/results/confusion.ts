// The confusion matrix of a test-set evaluation and the per-class table a Keras user gets from
// scikit-learn's classification_report: precision, recall (the class's own accuracy: the share of
// its images classified right), f1-score and support, then accuracy and the macro and weighted means.

// (classes,classes) counts: row = true class, column = predicted class, as scikit-learn lays it out.
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== predictions.length) throw new Error(`confusionMatrix: ${labels.length} labels, ${predictions.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predictions[i]]++;
  return m;
}

export interface ClassScores {
  precision: number; // of the images predicted as this class, the share that are
  recall: number; // of this class's images, the share predicted right
  f1: number;
  support: number; // this class's images
}

// A class never predicted has precision 0, as scikit-learn reports it (with a warning).
export function classScores(matrix: number[][]): ClassScores[] {
  return matrix.map((row, k) => {
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + r[k], 0);
    const hits = row[k];
    const precision = predicted > 0 ? hits / predicted : 0;
    const recall = support > 0 ? hits / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
}

// The matrix with its axes named, columns right-aligned.
export function confusionText(matrix: number[][]): string {
  const width = Math.max(4, ...matrix.flat().map((n) => String(n).length)) + 1;
  const cell = (s: string | number): string => String(s).padStart(width);
  const lines = ['Confusion matrix (rows: true class, columns: predicted class):', `      ${matrix.map((_, k) => cell(k)).join('')}`];
  matrix.forEach((row, k) => lines.push(`${cell(k).padStart(6)}${row.map(cell).join('')}`));
  return lines.join('\n') + '\n';
}

// scikit-learn's classification_report layout, with 4 digits as Keras prints its metrics.
export function classificationReport(matrix: number[][]): string {
  const scores = classScores(matrix);
  const total = scores.reduce((a, s) => a + s.support, 0);
  const hits = matrix.reduce((a, row, k) => a + row[k], 0);
  const f = (x: number): string => x.toFixed(4).padStart(10);
  const n = (x: number): string => String(x).padStart(10);
  const line = (name: string, s: ClassScores): string => `${name.padStart(12)}${f(s.precision)}${f(s.recall)}${f(s.f1)}${n(s.support)}`;
  const mean = (weight: (s: ClassScores) => number): ClassScores => {
    const w = scores.reduce((a, s) => a + weight(s), 0) || 1;
    const avg = (key: 'precision' | 'recall' | 'f1'): number => scores.reduce((a, s) => a + s[key] * weight(s), 0) / w;
    return { precision: avg('precision'), recall: avg('recall'), f1: avg('f1'), support: total };
  };
  const lines = [
    `${''.padStart(12)}${'precision'.padStart(10)}${'recall'.padStart(10)}${'f1-score'.padStart(10)}${'support'.padStart(10)}`,
    '',
    ...scores.map((s, k) => line(String(k), s)),
    '',
    `${'accuracy'.padStart(12)}${''.padStart(20)}${f(total > 0 ? hits / total : 0)}${n(total)}`,
    line('macro avg', mean(() => 1)),
    line('weighted avg', mean((s) => s.support)),
  ];
  return lines.join('\n') + '\n';
}
