package dev.pagealloc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FailureInjectorTest {
    private final FailureInjector failures = new FailureInjector();

    private List<OptionalInt> calls(String name, int count, long argument) {
        return IntStream.range(0, count).mapToObj(i -> failures.check(name, argument, (long) i)).toList();
    }

    @Test
    void shouldLetEveryCallProceedWithoutRules() {
        assertEquals(List.of(OptionalInt.empty(), OptionalInt.empty()), calls("mmap", 2, 0));
        assertEquals(2, failures.calls("mmap"));
        assertEquals(0, failures.calls("munmap"));
    }

    @Test
    void shouldFailTheNextCallOfThatNameOnce() {
        failures.failNext("mprotect", 12);
        assertEquals(OptionalInt.empty(), failures.check("mmap"), "another call is not failed");
        assertEquals(List.of(OptionalInt.of(12), OptionalInt.empty()), calls("mprotect", 2, 0));
    }

    @Test
    void shouldFailTheNthCallFromNowCountingCallsAlreadyMade() {
        calls("VirtualAlloc", 3, 0);
        failures.failNth("VirtualAlloc", 2, 8);
        assertEquals(List.of(OptionalInt.empty(), OptionalInt.of(8), OptionalInt.empty()), calls("VirtualAlloc", 3, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> failures.failNth("mmap", 0, 1));
        assertEquals("failNth(name=mmap, nth=0): nth must be at least 1", e.getMessage());
    }

    @Test
    void shouldFailEveryMatchingCallUntilCleared() {
        failures.failMatching("madvise", call -> call.longArgument(0) == 4, 22);
        assertEquals(OptionalInt.empty(), failures.check("madvise", 3L));
        assertEquals(OptionalInt.of(22), failures.check("madvise", 4L));
        assertEquals(OptionalInt.of(22), failures.check("madvise", 4L));
        failures.clear();
        assertEquals(OptionalInt.empty(), failures.check("madvise", 4L));
        assertEquals(4, failures.calls("madvise"), "cleared rules keep the counts");
    }

    @Test
    void shouldFailOnlyTheFirstMatchingCallOnceAndLetTheFirstRuleWin() {
        failures.failOnceMatching("mach_vm_protect", call -> call.ordinal() >= 1, 2);
        failures.failMatching("mach_vm_protect", call -> true, 6);
        assertEquals(List.of(OptionalInt.of(6), OptionalInt.of(2), OptionalInt.of(6)), calls("mach_vm_protect", 3, 0));
    }
}
