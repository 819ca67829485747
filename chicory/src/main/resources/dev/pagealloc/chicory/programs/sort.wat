;; Heapsort of n i32s: sort(n) fills n values from a 32-bit LCG (x = x * 1664525 + 1013904223, seed 42, each
;; value x >>> 1), sorts them ascending in place, and returns -1 if the result is not sorted, else the
;; checksum sum(value[i] xor i) as an i64. The memory grows to fit 4n bytes.
(module
  (memory (export "memory") 1)
  (func $sift (param $root i32) (param $end i32)
    (local $child i32) (local $a i32) (local $b i32)
    (block $done
      (loop $down
        (local.set $child (i32.add (i32.shl (local.get $root) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $child) (local.get $end)))
        (if (i32.lt_u (i32.add (local.get $child) (i32.const 1)) (local.get $end))
          (then
            (if (i32.lt_s (i32.load (i32.shl (local.get $child) (i32.const 2)))
                          (i32.load (i32.shl (i32.add (local.get $child) (i32.const 1)) (i32.const 2))))
              (then (local.set $child (i32.add (local.get $child) (i32.const 1)))))))
        (local.set $a (i32.load (i32.shl (local.get $root) (i32.const 2))))
        (local.set $b (i32.load (i32.shl (local.get $child) (i32.const 2))))
        (br_if $done (i32.ge_s (local.get $a) (local.get $b)))
        (i32.store (i32.shl (local.get $root) (i32.const 2)) (local.get $b))
        (i32.store (i32.shl (local.get $child) (i32.const 2)) (local.get $a))
        (local.set $root (local.get $child))
        (br $down))))
  (func (export "sort") (param $n i32) (result i64)
    (local $i i32) (local $x i32) (local $t i32) (local $sum i64) (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (unreachable)))))
    (local.set $x (i32.const 42))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1664525)) (i32.const 1013904223)))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.shr_u (local.get $x) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    ;; heapify
    (local.set $i (i32.shr_u (local.get $n) (i32.const 1)))
    (block $built
      (loop $build
        (br_if $built (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (call $sift (local.get $i) (local.get $n))
        (br $build)))
    ;; pop the maximum to the end, n - 1 times
    (local.set $i (local.get $n))
    (block $sorted
      (loop $pop
        (br_if $sorted (i32.le_u (local.get $i) (i32.const 1)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (local.set $t (i32.load (i32.const 0)))
        (i32.store (i32.const 0) (i32.load (i32.shl (local.get $i) (i32.const 2))))
        (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $t))
        (call $sift (i32.const 0) (local.get $i))
        (br $pop)))
    ;; check and sum
    (local.set $i (i32.const 0))
    (block $checked
      (loop $check
        (br_if $checked (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.gt_u (local.get $i) (i32.const 0))
          (then
            (if (i32.gt_s (i32.load (i32.shl (i32.sub (local.get $i) (i32.const 1)) (i32.const 2)))
                          (i32.load (i32.shl (local.get $i) (i32.const 2))))
              (then (return (i64.const -1))))))
        (local.set $sum (i64.add (local.get $sum)
          (i64.extend_i32_u (i32.xor (i32.load (i32.shl (local.get $i) (i32.const 2))) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $check)))
    (local.get $sum)))
