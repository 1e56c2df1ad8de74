;; WebAssembly SIMD (f32x4) twins of the hot fast kernels, over the memory the threads share.
;; Read beside their JS twins: adam (adam.ts adamUpdateFast), sparseForward (matmul.ts
;; matmulForwardSparse), sparseBackwardAdam (fused.ts). Same loops, four floats a lane group.
;; Every pointer is a byte offset into the one memory; sizes are in elements. Arithmetic is float32
;; (the JS twins compute in float64), so results agree within 1e-5, not bit for bit (test/simd.test.ts).
;; scripts/build.mjs assembles this file with wabt (simd.ts loads it). OUT must be a multiple of 8
;; (simd.ts falls back to the JS twins otherwise).
(module
  ;; The build makes a second module with `shared` removed, for one thread without shared memory.
  (import "env" "memory" (memory 1 65536 shared))

  ;; p -= lrT·m / (sqrt(v) + eps) with m = β1·m + c1·g, v = β2·v + c2·g², over n parameters.
  ;; Returns 0 if any g was NaN or infinite (g·0 is then NaN), else 1.
  (func $adam (export "adam")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32)
    (param $lrT f32) (param $beta1 f32) (param $c1 f32) (param $beta2 f32) (param $c2 f32) (param $eps f32)
    (result i32)
    (local $k i32) (local $end4 i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $vv v128) (local $poison v128)
    (local $sg f32) (local $sm f32) (local $sv f32) (local $spoison f32)
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $poison (v128.const f32x4 0 0 0 0))
    ;; four parameters a turn; $k is a byte offset into all four arrays
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $end4)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $k))))
        (local.set $poison (f32x4.add (local.get $poison) (f32x4.mul (local.get $gv) (v128.const f32x4 0 0 0 0))))
        (local.set $mv (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $beta1)) (v128.load (i32.add (local.get $m) (local.get $k))))
          (f32x4.mul (f32x4.splat (local.get $c1)) (local.get $gv))))
        (local.set $vv (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $beta2)) (v128.load (i32.add (local.get $v) (local.get $k))))
          (f32x4.mul (f32x4.mul (f32x4.splat (local.get $c2)) (local.get $gv)) (local.get $gv))))
        (v128.store (i32.add (local.get $m) (local.get $k)) (local.get $mv))
        (v128.store (i32.add (local.get $v) (local.get $k)) (local.get $vv))
        (v128.store (i32.add (local.get $p) (local.get $k))
          (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $k)))
            (f32x4.div (f32x4.mul (f32x4.splat (local.get $lrT)) (local.get $mv))
              (f32x4.add (f32x4.sqrt (local.get $vv)) (f32x4.splat (local.get $eps))))))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $next)))
    ;; the last n % 4, one at a time, the same arithmetic
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $sg (f32.load (i32.add (local.get $g) (local.get $k))))
        (local.set $spoison (f32.add (local.get $spoison) (f32.mul (local.get $sg) (f32.const 0))))
        (local.set $sm (f32.add (f32.mul (local.get $beta1) (f32.load (i32.add (local.get $m) (local.get $k))))
          (f32.mul (local.get $c1) (local.get $sg))))
        (local.set $sv (f32.add (f32.mul (local.get $beta2) (f32.load (i32.add (local.get $v) (local.get $k))))
          (f32.mul (f32.mul (local.get $c2) (local.get $sg)) (local.get $sg))))
        (f32.store (i32.add (local.get $m) (local.get $k)) (local.get $sm))
        (f32.store (i32.add (local.get $v) (local.get $k)) (local.get $sv))
        (f32.store (i32.add (local.get $p) (local.get $k))
          (f32.sub (f32.load (i32.add (local.get $p) (local.get $k)))
            (f32.div (f32.mul (local.get $lrT) (local.get $sm))
              (f32.add (f32.sqrt (local.get $sv)) (local.get $eps)))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $tail)))
    (i32.and
      (i32x4.all_true (f32x4.eq (local.get $poison) (v128.const f32x4 0 0 0 0)))
      (f32.eq (local.get $spoison) (f32.const 0))))

  ;; out (B,OUT) = x · W (IN,OUT), x given as its non-zeros by row: row b's sit at slots
  ;; [b·IN, b·IN + rowCount[b]) of rowIndex (u16) and rowValue (f64, exact float32 pixel values).
  ;; 16 outputs a pass in four vector accumulators (the JS twin keeps 8 in registers), then 8.
  (func (export "sparseForward")
    (param $out i32) (param $rowCount i32) (param $rowIndex i32) (param $rowValue i32) (param $W i32)
    (param $B i32) (param $IN i32) (param $OUT i32)
    (local $b i32) (local $o i32) (local $k i32) (local $end i32) (local $w i32) (local $dst i32)
    (local $a v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (loop $rows
      (local.set $k (i32.mul (local.get $b) (local.get $IN)))
      (local.set $end (i32.add (local.get $k) (i32.load (i32.add (local.get $rowCount) (i32.shl (local.get $b) (i32.const 2))))))
      (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (local.get $b) (local.get $OUT)) (i32.const 2))))
      (local.set $o (i32.const 0))
      ;; 16 outputs a pass while they last: each non-zero's index and value, loaded once, feed 4 vectors
      (block $wideDone
        (loop $wide
          (br_if $wideDone (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $OUT)))
          (local.set $s0 (v128.const f32x4 0 0 0 0))
          (local.set $s1 (v128.const f32x4 0 0 0 0))
          (local.set $s2 (v128.const f32x4 0 0 0 0))
          (local.set $s3 (v128.const f32x4 0 0 0 0))
          (local.set $k (i32.mul (local.get $b) (local.get $IN)))
          (block $sumDone
            (loop $sum
              (br_if $sumDone (i32.ge_u (local.get $k) (local.get $end)))
              (local.set $a (f32x4.splat (f32.demote_f64 (f64.load (i32.add (local.get $rowValue) (i32.shl (local.get $k) (i32.const 3)))))))
              (local.set $w (i32.add (local.get $W) (i32.shl (i32.add (local.get $o)
                (i32.mul (i32.load16_u (i32.add (local.get $rowIndex) (i32.shl (local.get $k) (i32.const 1)))) (local.get $OUT))) (i32.const 2))))
              (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load (local.get $w)))))
              (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $w)))))
              (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $a) (v128.load offset=32 (local.get $w)))))
              (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $a) (v128.load offset=48 (local.get $w)))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $sum)))
          (v128.store (local.get $dst) (local.get $s0))
          (v128.store offset=16 (local.get $dst) (local.get $s1))
          (v128.store offset=32 (local.get $dst) (local.get $s2))
          (v128.store offset=48 (local.get $dst) (local.get $s3))
          (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $wide)))
      ;; then 8 (OUT is a multiple of 8)
      (block $outsDone
      (loop $outs
        (br_if $outsDone (i32.ge_u (local.get $o) (local.get $OUT)))
        (local.set $s0 (v128.const f32x4 0 0 0 0))
        (local.set $s1 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.mul (local.get $b) (local.get $IN)))
        (block $sumDone
          (loop $sum
            (br_if $sumDone (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $a (f32x4.splat (f32.demote_f64 (f64.load (i32.add (local.get $rowValue) (i32.shl (local.get $k) (i32.const 3)))))))
            ;; W's row rowIndex[k], columns o..o+7
            (local.set $w (i32.add (local.get $W) (i32.shl (i32.add (local.get $o)
              (i32.mul (i32.load16_u (i32.add (local.get $rowIndex) (i32.shl (local.get $k) (i32.const 1)))) (local.get $OUT))) (i32.const 2))))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load (local.get $w)))))
            (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $w)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $sum)))
        (v128.store (local.get $dst) (local.get $s0))
        (v128.store offset=16 (local.get $dst) (local.get $s1))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $outs)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $b) (local.get $B)))))

  ;; Layer 1's weight gradient and Adam on W (IN,OUT), rows i0..i1-1, fused as in fused.ts: row i's
  ;; gradient Σ_k colValue[k]·dout[colIndex[k], :] over its slots [i·maxBatch, + colCount[i]) is
  ;; summed into gradRow (OUT) and fed to $adam at once. A row never lit so far (lit[i] = 0; set
  ;; here) is skipped: its m and v are 0, so Adam would not move it. Returns 0 if a gradient was not finite.
  (func (export "sparseBackwardAdam")
    (param $W i32) (param $m i32) (param $v i32) (param $gradRow i32) (param $dout i32)
    (param $colCount i32) (param $colIndex i32) (param $colValue i32) (param $lit i32)
    (param $maxBatch i32) (param $OUT i32) (param $i0 i32) (param $i1 i32)
    (param $lrT f32) (param $beta1 f32) (param $c1 f32) (param $beta2 f32) (param $c2 f32) (param $eps f32)
    (result i32)
    (local $i i32) (local $o i32) (local $k i32) (local $end i32) (local $d i32) (local $row i32) (local $finite i32)
    (local $a v128) (local $s0 v128) (local $s1 v128)
    (local.set $finite (i32.const 1))
    (local.set $i (local.get $i0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $i1)))
        (local.set $k (i32.mul (local.get $i) (local.get $maxBatch)))
        (local.set $end (i32.add (local.get $k) (i32.load (i32.add (local.get $colCount) (i32.shl (local.get $i) (i32.const 2))))))
        (block $adamRow
          (if (i32.eq (local.get $k) (local.get $end))
            (then
              ;; dark in this batch: skip a row never lit, else a zero gradient (m decays, W still moves)
              (br_if $adamRow (i32.eqz (i32.load8_u (i32.add (local.get $lit) (local.get $i)))))
              (local.set $o (i32.const 0))
              (loop $zero
                (v128.store (i32.add (local.get $gradRow) (i32.shl (local.get $o) (i32.const 2))) (v128.const f32x4 0 0 0 0))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br_if $zero (i32.lt_u (local.get $o) (local.get $OUT)))))
            (else
              (i32.store8 (i32.add (local.get $lit) (local.get $i)) (i32.const 1))
              (local.set $o (i32.const 0))
              (loop $outs
                (local.set $s0 (v128.const f32x4 0 0 0 0))
                (local.set $s1 (v128.const f32x4 0 0 0 0))
                (local.set $k (i32.mul (local.get $i) (local.get $maxBatch)))
                (block $sumDone
                  (loop $sum
                    (br_if $sumDone (i32.ge_u (local.get $k) (local.get $end)))
                    (local.set $a (f32x4.splat (f32.demote_f64 (f64.load (i32.add (local.get $colValue) (i32.shl (local.get $k) (i32.const 3)))))))
                    ;; dout's row colIndex[k], columns o..o+7
                    (local.set $d (i32.add (local.get $dout) (i32.shl (i32.add (local.get $o)
                      (i32.mul (i32.load16_u (i32.add (local.get $colIndex) (i32.shl (local.get $k) (i32.const 1)))) (local.get $OUT))) (i32.const 2))))
                    (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $a) (v128.load (local.get $d)))))
                    (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $a) (v128.load offset=16 (local.get $d)))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $sum)))
                (v128.store (i32.add (local.get $gradRow) (i32.shl (local.get $o) (i32.const 2))) (local.get $s0))
                (v128.store offset=16 (i32.add (local.get $gradRow) (i32.shl (local.get $o) (i32.const 2))) (local.get $s1))
                (local.set $o (i32.add (local.get $o) (i32.const 8)))
                (br_if $outs (i32.lt_u (local.get $o) (local.get $OUT))))))
          (local.set $row (i32.shl (i32.mul (local.get $i) (local.get $OUT)) (i32.const 2)))
          (local.set $finite (i32.and (local.get $finite)
            (call $adam (i32.add (local.get $W) (local.get $row)) (i32.add (local.get $m) (local.get $row))
              (i32.add (local.get $v) (local.get $row)) (local.get $gradRow) (local.get $OUT)
              (local.get $lrT) (local.get $beta1) (local.get $c1) (local.get $beta2) (local.get $c2) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (local.get $finite))
)
