package dev.pagealloc.bench;

import dev.pagealloc.bench.CheckFloorSpace.Check;
import java.util.EnumSet;

/**
 * The off-heap levels of {@link GcCheckFloorCpuTimes}, each the simplest correct code for the
 * {@link Check}s it claims, made of {@link CheckFloorSpace}'s pieces. Each has its own
 * {@code build} and {@code check}, word for word the same: a call site that saw every level would be inlined
 * for none.
 */
final class CheckFloorLevels {

    private CheckFloorLevels() {}

    /** Level 1: raw off-heap memory; no checks but the bump's limit and Java's own array bounds. */
    static final class Raw extends CheckFloorSpace {
        Raw() {
            super("1 raw off-heap", EnumSet.noneOf(Check.class));
        }

        @Override
        long allocate(int typeId) {
            return leaf(headers[typeId]);
        }

        @Override
        long allocate(int typeId, long first, long second) {
            return pair(headers[typeId], first, second);
        }

        @Override
        void push(long object) {
            roots[top++] = object;
        }

        @Override
        long pop() {
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /** Level 2: level 1 with {@link Check#BOUNDS}. */
    static final class Bounds extends CheckFloorSpace {
        Bounds() {
            super("2 = 1 + bounds", EnumSet.of(Check.BOUNDS));
        }

        @Override
        long allocate(int typeId) {
            return leaf(headers[typeId]);
        }

        @Override
        long allocate(int typeId, long first, long second) {
            return pair(pairFits(typeId), first, second);
        }

        @Override
        void push(long object) {
            roots[top++] = object;
        }

        @Override
        long pop() {
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            payloadHeader("getReference", object, byteOffset);
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /** Level 3: level 2 with {@link Check#SLOT_KIND}. */
    static final class SlotKinds extends CheckFloorSpace {
        SlotKinds() {
            super("3 = 2 + slot kind", EnumSet.of(Check.BOUNDS, Check.SLOT_KIND));
        }

        @Override
        long allocate(int typeId) {
            return leaf(knownType(typeId));
        }

        @Override
        long allocate(int typeId, long first, long second) {
            return pair(pairSlots(typeId), first, second);
        }

        @Override
        void push(long object) {
            roots[top++] = object;
        }

        @Override
        long pop() {
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            checkReferenceSlot("getReference", object, byteOffset);
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /** Level 4: level 3 with {@link Check#START_BITMAP}. */
    static final class StartBits extends CheckFloorSpace {
        StartBits() {
            super("4 = 3 + start bitmap", EnumSet.of(Check.BOUNDS, Check.SLOT_KIND, Check.START_BITMAP));
        }

        @Override
        long allocate(int typeId) {
            long object = leaf(knownType(typeId));
            markStart(object);
            return object;
        }

        @Override
        long allocate(int typeId, long first, long second) {
            checkObjectOrNull("allocate", first);
            checkObjectOrNull("allocate", second);
            long object = pair(pairSlots(typeId), first, second);
            markStart(object);
            return object;
        }

        @Override
        void push(long object) {
            checkObjectOrNull("push", object);
            roots[top++] = object;
        }

        @Override
        long pop() {
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            checkObject("getReference", object);
            checkReferenceSlot("getReference", object, byteOffset);
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /**
     * Level 5: level 4 with {@link Check#OWNER_AND_STATE}: the per-call checks issue 11 asks of binary-trees' calls
     * (there are no frames: an unbalanced pop meets the root array's bound).
     */
    static final class Confined extends CheckFloorSpace {
        Confined() {
            super("5 = 4 + owner, state word", EnumSet.allOf(Check.class));
        }

        @Override
        long allocate(int typeId) {
            enter("allocate");
            long object = leaf(knownType(typeId));
            markStart(object);
            return object;
        }

        @Override
        long allocate(int typeId, long first, long second) {
            enter("allocate");
            checkObjectOrNull("allocate", first);
            checkObjectOrNull("allocate", second);
            long object = pair(pairSlots(typeId), first, second);
            markStart(object);
            return object;
        }

        @Override
        void push(long object) {
            enter("push");
            checkObjectOrNull("push", object);
            roots[top++] = object;
        }

        @Override
        long pop() {
            enter("pop");
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            enter("getReference");
            checkObject("getReference", object);
            checkReferenceSlot("getReference", object, byteOffset);
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /**
     * Level 5 with the GC heap's shortcut ({@code ShadowStack}'s): an object the space handed out since it was
     * last reset (its last allocation, last pop, last reference read) skips the start test; the other checks
     * stay. Sound because objects die only at a reset, which forgets them.
     */
    static final class ConfinedKnown extends CheckFloorSpace {
        ConfinedKnown() {
            super("5k = 5, known objects skip the bitmap", EnumSet.allOf(Check.class));
        }

        @Override
        long allocate(int typeId) {
            enter("allocate");
            long object = leaf(knownType(typeId));
            markStart(object);
            lastAllocated = object;
            return object;
        }

        @Override
        long allocate(int typeId, long first, long second) {
            enter("allocate");
            if (!knows(first)) {
                checkObjectOrNull("allocate", first);
            }
            if (!knows(second)) {
                checkObjectOrNull("allocate", second);
            }
            long object = pair(pairSlots(typeId), first, second);
            markStart(object);
            lastAllocated = object;
            return object;
        }

        @Override
        void push(long object) {
            enter("push");
            if (!knows(object)) {
                checkObjectOrNull("push", object);
            }
            roots[top++] = object;
        }

        @Override
        long pop() {
            enter("pop");
            long object = roots[--top];
            lastPopped = object;
            return object;
        }

        @Override
        long getReference(long object, long byteOffset) {
            enter("getReference");
            if (!knows(object)) {
                checkObject("getReference", object);
            }
            checkReferenceSlot("getReference", object, byteOffset);
            // A checked reference slot holds 0 or an object: every store into one was checked.
            long value = ALL.get(WORD, object + byteOffset);
            lastRead = value;
            return value;
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /** Level 1 with {@link Check#START_BITMAP} alone. */
    static final class StartBitsAlone extends CheckFloorSpace {
        StartBitsAlone() {
            super("1 + start bitmap", EnumSet.of(Check.START_BITMAP));
        }

        @Override
        long allocate(int typeId) {
            long object = leaf(headers[typeId]);
            markStart(object);
            return object;
        }

        @Override
        long allocate(int typeId, long first, long second) {
            checkObjectOrNull("allocate", first);
            checkObjectOrNull("allocate", second);
            long object = pair(headers[typeId], first, second);
            markStart(object);
            return object;
        }

        @Override
        void push(long object) {
            checkObjectOrNull("push", object);
            roots[top++] = object;
        }

        @Override
        long pop() {
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            checkObject("getReference", object);
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }

    /** Level 1 with {@link Check#OWNER_AND_STATE} alone. */
    static final class ConfinedAlone extends CheckFloorSpace {
        ConfinedAlone() {
            super("1 + owner, state word", EnumSet.of(Check.OWNER_AND_STATE));
        }

        @Override
        long allocate(int typeId) {
            enter("allocate");
            return leaf(headers[typeId]);
        }

        @Override
        long allocate(int typeId, long first, long second) {
            enter("allocate");
            return pair(headers[typeId], first, second);
        }

        @Override
        void push(long object) {
            enter("push");
            roots[top++] = object;
        }

        @Override
        long pop() {
            enter("pop");
            return roots[--top];
        }

        @Override
        long getReference(long object, long byteOffset) {
            enter("getReference");
            return ALL.get(WORD, object + byteOffset);
        }

        @Override
        long build(int depth) {
            if (depth == 0) {
                return allocate(NODE);
            }
            push(build(depth - 1));
            long right = build(depth - 1);
            return allocate(NODE, pop(), right);
        }

        @Override
        long check(long node) {
            long left = getReference(node, 0);
            return left == 0 ? 1 : 1 + check(left) + check(getReference(node, 8));
        }
    }
}
