package dev.pagealloc.heap.gc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The heap's safepoint protocol, a handshake in the manner of HotSpot's: a thread that wants to collect
 * raises the flag and waits (releasing the heap's lock) until every attached mutator that is alive is
 * parked; a mutator sees the flag, copied into its stack's state word ({@link ShadowStack#SAFEPOINT}), with one
 * opaque read on its allocation fast path, takes the lock and parks until the collection ends. Mutators' plain
 * writes before they park and the collector's after it ends are ordered by the lock they pass through. Every
 * method but {@link #pending()} runs under the lock.
 */
final class Safepoints {

    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(Safepoints.class, "pending", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Condition change;
    private final Set<Thread> parked = new HashSet<>();
    /** The attached stacks of the collection in progress, whose {@link ShadowStack#SAFEPOINT} bit it raised. */
    private Collection<ShadowStack> raised = java.util.List.of();
    /** The flag: written under the lock (opaque), read without it (opaque); set while a collection waits or runs. */
    @SuppressWarnings("unused") // accessed through PENDING
    private boolean pending;

    Safepoints(ReentrantLock lock) {
        this.change = lock.newCondition();
    }

    /** {@return whether a collection waits for the mutators or runs}: one opaque read, no lock */
    boolean pending() {
        return (boolean) PENDING.getOpaque(this);
    }

    /** Waits, at a safepoint, for the pending collection to end. Holds the lock before and after. */
    void park() {
        Thread self = Thread.currentThread();
        parked.add(self);
        change.signalAll();
        try {
            while (pending()) {
                change.awaitUninterruptibly();
            }
        } finally {
            parked.remove(self);
        }
    }

    /** Wakes the waiting collector to look again (a stack was released). */
    void changed() {
        change.signalAll();
    }

    /**
     * Raises the flag and waits until every mutator of {@code stacks} that is alive is parked; the caller
     * counts as parked. Then the caller collects and calls {@link #end()}.
     *
     * @throws InterruptedException if interrupted while waiting; {@link #end()} must still be called
     */
    void begin(Collection<ShadowStack> stacks) throws InterruptedException {
        // The mutators' fast paths read their stack's state word, not the flag. A stack attached while this
        // waits is made with the bit set (GcHeap.shadowStack reads the flag), and is in stacks, a live view.
        raised = stacks;
        for (ShadowStack stack : stacks) {
            stack.raise(ShadowStack.SAFEPOINT);
        }
        PENDING.setOpaque(this, true);
        parked.add(Thread.currentThread());
        while (!everyMutatorParked(stacks)) {
            // A thread that ended while attached never parks: the timeout lets the loop see it gone.
            change.awaitNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        // Every mutator is parked and the collection may move or free any object: the objects each stack handed
        // out are no longer known to be objects (ShadowStack.knowsObject trusts them until this point).
        for (ShadowStack stack : stacks) {
            stack.forget();
        }
    }

    /** Lowers the flag and wakes the parked mutators. */
    void end() {
        parked.remove(Thread.currentThread());
        PENDING.setOpaque(this, false);
        for (ShadowStack stack : raised) {
            stack.lower(ShadowStack.SAFEPOINT);
        }
        raised = java.util.List.of();
        change.signalAll();
    }

    private boolean everyMutatorParked(Collection<ShadowStack> stacks) {
        for (ShadowStack stack : stacks) {
            if (stack.owner.isAlive() && !parked.contains(stack.owner)) {
                return false;
            }
        }
        return true;
    }
}
