package dev.pagealloc.bench;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagealloc.bench.CheckFloorSpace.Check;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each off-heap level of {@link GcCheckFloorCpuTimes} refuses exactly what its checks claim: a level that does
 * not claim a check lets the same bad call through (the negative control), so the measured levels do the work
 * they are measured for. Bad addresses given to levels that do not check them stay inside the level's space.
 */
class CheckFloorLevelsTest {

    static Stream<Supplier<CheckFloorSpace>> levels() {
        return Stream.of(CheckFloorLevels.Raw::new, CheckFloorLevels.Bounds::new, CheckFloorLevels.SlotKinds::new,
                CheckFloorLevels.StartBits::new, CheckFloorLevels.Confined::new, CheckFloorLevels.ConfinedKnown::new,
                CheckFloorLevels.StartBitsAlone::new, CheckFloorLevels.ConfinedAlone::new);
    }

    @ParameterizedTest
    @MethodSource("levels")
    void shouldBuildAndCountATree(Supplier<CheckFloorSpace> level) {
        try (CheckFloorSpace space = level.get()) {
            long tree = space.build(4);
            assertEquals(31, space.check(tree));
            assertEquals(0, space.top, "roots balanced");
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void shouldRefuseAReadOutsideThePayloadOnlyWithBounds(Supplier<CheckFloorSpace> level) {
        try (CheckFloorSpace space = level.get()) {
            long node = space.allocate(CheckFloorSpace.NODE);
            space.allocate(CheckFloorSpace.NODE); // so that an unchecked read past the payload stays in the space
            for (long byteOffset : new long[] {16, -8, 4}) {
                refusedIf(space.checks().contains(Check.BOUNDS), IndexOutOfBoundsException.class,
                        "getReference(object=0x" + Long.toHexString(node) + ", byteOffset=" + byteOffset
                                + "): not an 8-aligned word inside the payload of 16 bytes",
                        () -> space.getReference(node, byteOffset));
            }
            refusedIf(space.checks().contains(Check.BOUNDS) || space.checks().contains(Check.SLOT_KIND),
                    IllegalArgumentException.class, null, () -> space.allocate(3, 0, 0));
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void shouldRefuseAWrongSlotOrTypeOnlyWithSlotKinds(Supplier<CheckFloorSpace> level) {
        try (CheckFloorSpace space = level.get()) {
            long box = space.allocate(CheckFloorSpace.BOX);
            boolean claims = space.checks().contains(Check.SLOT_KIND);
            refusedIf(claims, IllegalArgumentException.class, "getReference(object=0x" + Long.toHexString(box)
                    + ", byteOffset=0): not a reference slot of type 2", () -> space.getReference(box, 0));
            assertEquals(0, space.getReference(box, 8), "the reference slot reads");
            refusedIf(claims, IllegalArgumentException.class, "allocate(typeId=2, first, second): the type has no"
                    + " reference slots at byte offsets 0 and 8", () -> space.allocate(CheckFloorSpace.BOX, 0, 0));
            refusedIf(claims, IllegalArgumentException.class, "allocate(typeId=3): no such type",
                    () -> space.allocate(3));
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void shouldRefuseANonObjectOnlyWithTheStartBitmap(Supplier<CheckFloorSpace> level) {
        try (CheckFloorSpace space = level.get()) {
            long node = space.allocate(CheckFloorSpace.NODE);
            space.allocate(CheckFloorSpace.NODE);
            boolean claims = space.checks().contains(Check.START_BITMAP);
            for (long bad : new long[] {node + 8, node + 4, node - 8}) {
                String hex = "(0x" + Long.toHexString(bad) + "): not an object of this space";
                refusedIf(claims, IllegalArgumentException.class, "allocate" + hex,
                        () -> space.allocate(CheckFloorSpace.NODE, node, bad));
                refusedIf(claims, IllegalArgumentException.class, "push" + hex, () -> space.push(bad));
                if (claims) {
                    assertThrows(IllegalArgumentException.class, () -> space.getReference(bad, 0));
                }
            }
            assertEquals(claims ? 0 : 3, space.top, "a refused push pushes nothing");
            long last = space.allocate(CheckFloorSpace.NODE);
            space.reset();
            // After the space is reused, its old objects are dead: the bitmap forgets them, and so does the space.
            for (long dead : new long[] {node, last}) {
                refusedIf(claims, IllegalArgumentException.class, "getReference(0x" + Long.toHexString(dead)
                        + "): not an object of this space", () -> space.getReference(dead, 0));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void shouldRefuseAnotherThreadAndParkAtASafepointOnlyWithOwnerAndState(Supplier<CheckFloorSpace> level)
            throws Exception {
        CheckFloorSpace space = level.get();
        try {
            long node = space.allocate(CheckFloorSpace.NODE);
            space.push(node);
            boolean claims = space.checks().contains(Check.OWNER_AND_STATE);
            for (Executable call : new Executable[] {() -> space.getReference(node, 0),
                    () -> space.allocate(CheckFloorSpace.NODE), () -> space.allocate(CheckFloorSpace.NODE, node, 0),
                    () -> space.push(node), () -> space.pop()}) {
                Throwable thrown = CompletableFuture.supplyAsync(() -> {
                    try {
                        call.execute();
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                }).get();
                if (claims) {
                    assertTrue(thrown instanceof WrongThreadException, "refused: " + thrown);
                } else {
                    assertEquals(null, thrown);
                }
            }
            space.requestSafepoint();
            space.getReference(node, 0);
            assertEquals(claims ? 1 : 0, space.parks, "parked at the call after the request");
            space.getReference(node, 0);
            assertEquals(claims ? 1 : 0, space.parks, "the state word is clear again");
            if (claims) {
                space.close();
                IllegalStateException closed = assertThrows(IllegalStateException.class,
                        () -> space.getReference(node, 0));
                assertEquals("getReference: the space is closed", closed.getMessage());
            }
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        } finally {
            space.close();
        }
    }

    private static void refusedIf(boolean claimed, Class<? extends Throwable> type, String message,
            Executable call) {
        if (claimed) {
            Throwable thrown = assertThrows(type, call);
            if (message != null) {
                assertEquals(message, thrown.getMessage());
            }
        } else {
            assertDoesNotThrow(call);
        }
    }
}
