;; FNV-1a (32-bit) over generated data: hash(mib) fills mib MiB with xorshift32 output (seed 2463534242),
;; four little-endian bytes per step, then hashes every byte. The memory grows to fit.
(module
  (memory (export "memory") 1)
  (func (export "hash") (param $mib i32) (result i32)
    (local $bytes i32) (local $i i32) (local $x i32) (local $h i32) (local $pages i32)
    (local.set $bytes (i32.shl (local.get $mib) (i32.const 20)))
    (local.set $pages (i32.shl (local.get $mib) (i32.const 4)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
          (then (unreachable)))))
    (local.set $x (i32.const 2463534242))
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
        (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
        (i32.store (local.get $i) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $fill)))
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $i (i32.const 0))
    (block $hashed
      (loop $hash
        (br_if $hashed (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $i))) (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $hash)))
    (local.get $h)))
