;; A worker over an imported shared memory: atomic counting, growth, wait/notify at address 64.
(module
  (import "env" "memory" (memory 1 64 shared))
  (func (export "count") (param $n i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
        (drop (i64.atomic.rmw.add (i32.const 8) (i64.const 3)))
        (drop (i32.atomic.rmw8.add_u (i32.const 16) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again))))
  (func (export "grow") (result i32)
    (local $old i32)
    (local.set $old (memory.grow (i32.const 1)))
    ;; touch the new page's last word: it must be usable at once
    (if (i32.ne (local.get $old) (i32.const -1))
      (then (i32.atomic.store (i32.sub (i32.shl (i32.add (local.get $old) (i32.const 1)) (i32.const 16))
                                       (i32.const 4))
                              (i32.const 7))))
    (local.get $old))
  (func (export "size") (result i32) (memory.size))
  (func (export "wait") (param $expected i32) (param $timeout i64) (result i32)
    (memory.atomic.wait32 (i32.const 64) (local.get $expected) (local.get $timeout)))
  (func (export "notify") (param $count i32) (result i32)
    (memory.atomic.notify (i32.const 64) (local.get $count)))
  (func (export "store") (param $value i32)
    (i32.atomic.store (i32.const 64) (local.get $value))))
