package dev.pagealloc.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Predicate;

/**
 * Failures a test makes a fake kernel return, keyed by the C name of the call ({@code mmap},
 * {@code mach_vm_allocate}, {@code VirtualAlloc}). Every fake kernel (the simulations in
 * {@link dev.pagealloc.testkit.sim}, and a platform's tests wrapping its real binding) asks
 * {@link #check(String, Object...)} at the start of each call and, when it answers an error,
 * returns that call's failure value with the error where the platform puts it ({@code errno}, the
 * {@code kern_return_t}, {@code GetLastError}) without changing anything.
 *
 * <p>Rules: {@link #failNext} (the next call, once), {@link #failNth} (the n-th call from now, once),
 * {@link #failMatching} (every call whose arguments match, until {@link #clear()}) and
 * {@link #failOnceMatching}. The first rule that fires wins; one-shot rules are consumed when they fire.
 *
 * <p>Thread-safe: a rule fires for exactly one call whichever thread makes it.
 */
public final class FailureInjector {
    private final List<Rule> rules = new ArrayList<>();
    private final Map<String, Integer> calls = new HashMap<>();

    /** Creates an injector with no rules: every call proceeds. */
    public FailureInjector() {}

    /**
     * One call as a fake kernel reports it.
     *
     * @param name the C name of the call
     * @param ordinal how many calls of {@code name} came before this one, from 0
     * @param arguments the C arguments in order; pointers as their {@code long} address
     */
    public record Call(String name, int ordinal, List<Object> arguments) {
        /**
         * {@return argument {@code index} as a {@code long}}
         *
         * @param index the argument's position, from 0
         * @throws IndexOutOfBoundsException if the call has no such argument
         * @throws ClassCastException if the argument is not a number
         */
        public long longArgument(int index) {
            return ((Number) arguments.get(index)).longValue();
        }
    }

    private record Rule(String name, Predicate<Call> matcher, int error, boolean once) {}

    /**
     * Makes the next call of {@code name} on any thread fail with {@code error}.
     *
     * @param name the C name of the call
     * @param error the error the call reports: an errno, a {@code kern_return_t}, a Win32 error
     * @return this injector
     */
    public FailureInjector failNext(String name, int error) {
        return failOnceMatching(name, call -> true, error);
    }

    /**
     * Makes the {@code nth} call of {@code name} from now fail with {@code error}, once.
     *
     * @param name the C name of the call
     * @param nth which call, counting from 1 (1 is the next call)
     * @param error the error the call reports
     * @return this injector
     * @throws IllegalArgumentException if {@code nth < 1}
     */
    public synchronized FailureInjector failNth(String name, int nth, int error) {
        if (nth < 1) {
            throw new IllegalArgumentException("failNth(name=" + name + ", nth=" + nth + "): nth must be at least 1");
        }
        int ordinal = calls.getOrDefault(name, 0) + nth - 1;
        return failOnceMatching(name, call -> call.ordinal() == ordinal, error);
    }

    /**
     * Makes every call of {@code name} that {@code matcher} accepts fail with {@code error}, until
     * {@link #clear()}.
     *
     * @param name the C name of the call
     * @param matcher which calls fail
     * @param error the error the calls report
     * @return this injector
     */
    public synchronized FailureInjector failMatching(String name, Predicate<Call> matcher, int error) {
        rules.add(new Rule(name, matcher, error, false));
        return this;
    }

    /**
     * Makes the next call of {@code name} that {@code matcher} accepts fail with {@code error}, once.
     *
     * @param name the C name of the call
     * @param matcher which call fails
     * @param error the error the call reports
     * @return this injector
     */
    public synchronized FailureInjector failOnceMatching(String name, Predicate<Call> matcher, int error) {
        rules.add(new Rule(name, matcher, error, true));
        return this;
    }

    /** Removes every rule; the call counts stay. */
    public synchronized void clear() {
        rules.clear();
    }

    /**
     * Counts a call and answers whether it must fail. Fake kernels call it first thing in each call
     * they simulate.
     *
     * @param name the C name of the call
     * @param arguments the C arguments in order; pointers as their {@code long} address
     * @return the error the call must fail with, or empty if it proceeds
     */
    public synchronized OptionalInt check(String name, Object... arguments) {
        int ordinal = calls.merge(name, 1, Integer::sum) - 1;
        Call call = new Call(name, ordinal, Arrays.asList(arguments));
        for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
            Rule rule = it.next();
            if (rule.name().equals(name) && rule.matcher().test(call)) {
                if (rule.once()) {
                    it.remove();
                }
                return OptionalInt.of(rule.error());
            }
        }
        return OptionalInt.empty();
    }

    /**
     * {@return how many calls of {@code name} were checked, failed or not}
     *
     * @param name the C name of the call
     */
    public synchronized int calls(String name) {
        return calls.getOrDefault(name, 0);
    }
}
