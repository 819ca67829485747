package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void shouldCheckItsArguments() {
        assertEquals("MemoryBudget.of(name=null): a name is needed",
                assertThrows(IllegalArgumentException.class, () -> MemoryBudget.of(null, 1)).getMessage());
        assertEquals("MemoryBudget.of(name= ): a name is needed",
                assertThrows(IllegalArgumentException.class, () -> MemoryBudget.of(" ", 1)).getMessage());
        assertEquals("MemoryBudget.of(name=wasm, limitBytes=0): the limit must be positive",
                assertThrows(IllegalArgumentException.class, () -> MemoryBudget.of("wasm", 0)).getMessage());
        assertEquals("MemoryBudget.of(name=wasm, limitBytes=-5): the limit must be positive",
                assertThrows(IllegalArgumentException.class, () -> MemoryBudget.of("wasm", -5)).getMessage());
    }

    @Test
    void shouldChargeUpToTheLimitAndRefuseWithoutCharging() {
        MemoryBudget budget = MemoryBudget.of("wasm", 100);
        budget.charge("a()", 60);
        budget.charge("b()", 40);
        assertEquals(100, budget.usedBytes());
        BudgetExceededException e = assertThrows(BudgetExceededException.class,
                () -> budget.charge("grow(additionalPages=1)", 1));
        assertEquals("grow(additionalPages=1): budget 'wasm' cannot take requestedBytes=1: usedBytes=100, "
                + "limitBytes=100",
                e.getMessage());
        assertEquals("grow(additionalPages=1)", e.operation());
        assertSame(budget, e.budget());
        assertEquals(100, budget.usedBytes(), "a refused charge charges nothing");
        budget.refund(60);
        assertEquals(40, budget.usedBytes());
        assertThrows(BudgetExceededException.class, () -> budget.charge("c()", Long.MAX_VALUE), "no overflow");
        assertEquals("MemoryBudget[name=wasm, usedBytes=40, limitBytes=100]", budget.toString());
    }

    @Test
    void shouldNeverPassTheLimitUnderConcurrentCharges() throws InterruptedException {
        MemoryBudget budget = MemoryBudget.of("shared", 1000);
        AtomicLong granted = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    try {
                        budget.charge("charge()", 7);
                        granted.addAndGet(7);
                        if (i % 3 == 0) {
                            budget.refund(7);
                            granted.addAndGet(-7);
                        }
                    } catch (BudgetExceededException refused) {
                        // expected once the budget is full
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(granted.get(), budget.usedBytes());
        assertTrue(budget.usedBytes() >= 0 && budget.usedBytes() <= 1000, () -> "usedBytes=" + budget.usedBytes());
    }
}
