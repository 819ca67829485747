package dev.pagealloc.heap.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BadInputTest {

    private GcHeap heap;
    private int node;
    private int refs;
    private int bytes;

    @BeforeEach
    void setUp() {
        heap = GcHeap.builder().withNurseryBytes(256 << 10).withOldGenerationLimitBytes(128 << 10)
                .withLargeObjectThresholdBytes(4096).withVerifyAfterCollection(true).build();
        node = heap.registerType(new TypeLayout.Fixed("Node", 24, 0)); // a reference at 0, data at 8..24
        refs = heap.registerType(new TypeLayout.ReferenceArray("Refs"));
        bytes = heap.registerType(new TypeLayout.PrimitiveArray("Bytes", 1));
    }

    @AfterEach
    void tearDown() {
        heap.close();
    }

    @Test
    void shouldRefuseUnknownTypeIdsAndTheWrongAllocation() {
        assertEquals("allocate(typeId=99): unknown type id; registered ids are 1..3",
                assertThrows(IllegalArgumentException.class, () -> heap.allocate(99)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> heap.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> heap.allocate(refs));
        assertThrows(IllegalArgumentException.class, () -> heap.allocateArray(node, 1));
        assertEquals("allocateArray(typeId=2, length=-1): length must be in [0, 137438953471]",
                assertThrows(IllegalArgumentException.class, () -> heap.allocateArray(refs, -1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TypeLayout.Fixed("Bad", 16, 12));
        assertThrows(IllegalArgumentException.class, () -> new TypeLayout.Fixed("Bad", 16, 16));
        assertThrows(IllegalArgumentException.class, () -> new TypeLayout.PrimitiveArray("Bad", 3));
    }

    @Test
    void shouldRefuseOffsetsOutsideTheObjectOrOfTheWrongKind() {
        long object = heap.allocate(node);
        String outside = assertThrows(IndexOutOfBoundsException.class, () -> heap.getLong(object, 24)).getMessage();
        assertEquals("getLong(object=0x" + Long.toHexString(object) + ", byteOffset=24): a 8-byte access must be"
                + " aligned to 8 and within the payload of 24 bytes of type Node", outside);
        assertThrows(IndexOutOfBoundsException.class, () -> heap.getLong(object, -8));
        assertThrows(IndexOutOfBoundsException.class, () -> heap.setInt(object, 10, 1));
        assertEquals("setLong(object=0x" + Long.toHexString(object) + ", byteOffset=0): a plain access touching a"
                + " reference slot of type Node (fixed)",
                assertThrows(IllegalArgumentException.class, () -> heap.setLong(object, 0, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> heap.setInt(object, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> heap.getReference(object, 8));
        long array = heap.allocateArray(refs, 2);
        assertThrows(IllegalArgumentException.class, () -> heap.getInt(array, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> heap.getReference(array, 16));
        long data = heap.allocateArray(bytes, 3);
        assertThrows(IllegalArgumentException.class, () -> heap.arrayLength(object));
        assertThrows(IndexOutOfBoundsException.class, () -> heap.getByte(data, 3));
        assertEquals(0, heap.getLong(object, 8), "nothing was written");
    }

    @Test
    void shouldRefuseReferencesThatAreNotHeapObjects() {
        long object = heap.allocate(node);
        long other = heap.allocate(node);
        assertEquals("setReference(object=0x" + Long.toHexString(object) + ", byteOffset=0, value=0x1000): value is"
                + " not an object of this heap",
                assertThrows(IllegalArgumentException.class, () -> heap.setReference(object, 0, 0x1000)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> heap.setReference(object, 0, other + 8));
        assertEquals(0, heap.getReference(object, 0), "nothing was written");
        assertEquals("getLong(object=0x1000): not an object of this heap",
                assertThrows(IllegalArgumentException.class, () -> heap.getLong(0x1000, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> heap.newHandle(other + 16));
        assertThrows(IllegalArgumentException.class, () -> heap.addGlobalRoot(-8));
        assertFalse(heap.isHeapPointer(other + 8));
        assertTrue(heap.isHeapPointer(other));
    }

    @Test
    void shouldRefuseUnbalancedPopsAndRootsOutsideFrames() {
        ShadowStack stack = heap.shadowStack();
        assertEquals("addRoot(object=0x0): no frame is open; call pushFrame() first",
                assertThrows(IllegalStateException.class, () -> stack.addRoot(0)).getMessage());
        stack.pushFrame();
        stack.popFrame();
        assertEquals("popFrame(): no frame is open (unbalanced pop)",
                assertThrows(IllegalStateException.class, stack::popFrame).getMessage());
        assertEquals(0, stack.depth());
    }

    @Test
    void shouldConfineAShadowStackToItsThread() throws InterruptedException {
        ShadowStack stack = heap.shadowStack();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> CompletableFuture.runAsync(stack::pushFrame).get());
        assertTrue(e.getCause() instanceof WrongThreadException, e.toString());
    }

    @Test
    void shouldRefusePinningANonObject() {
        long object = heap.allocate(node);
        assertEquals("pin(object=0x" + Long.toHexString(object + 8) + "): not an object of this heap",
                assertThrows(IllegalArgumentException.class, () -> heap.pin(object + 8)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> heap.pin(0));
        assertEquals(0, heap.statistics().pinnedObjects());
    }

    @Test
    void shouldThrowAClearOutOfMemoryErrorAndStayConsistent() {
        ShadowStack stack = heap.shadowStack();
        stack.pushFrame();
        HeapExhaustedException e = assertThrows(HeapExhaustedException.class, () -> {
            for (int i = 0; i < 100_000; i++) {
                stack.addRoot(heap.allocate(node));
            }
        });
        assertTrue(e.getMessage().startsWith("allocate(typeId=1, objectBytes=32): the nursery has no free block"
                + " after a full collection"), e.getMessage());
        assertTrue(heap.statistics().majorCollections() > 0);
        heap.verify();
        stack.popFrame();
        long after = heap.allocate(node);
        assertTrue(heap.isHeapPointer(after), "with the roots dropped, allocation works again");
        String large = assertThrows(HeapExhaustedException.class, () -> heap.allocateArray(bytes, 1 << 20))
                .getMessage();
        assertTrue(large.contains("limit oldGenerationLimitBytes=131072"), large);
        heap.verify();
    }

    @Test
    void shouldRefuseUseAfterShutdown() {
        long object = heap.allocate(node);
        Handle handle = heap.newHandle(object);
        ShadowStack stack = heap.shadowStack();
        heap.close();
        assertEquals("allocate: the heap is closed",
                assertThrows(IllegalStateException.class, () -> heap.allocate(node)).getMessage());
        assertThrows(IllegalStateException.class, () -> heap.getLong(object, 8));
        assertThrows(IllegalStateException.class, () -> heap.collect(true));
        assertThrows(IllegalStateException.class, handle::get);
        assertThrows(IllegalStateException.class, stack::pushFrame);
        assertThrows(IllegalStateException.class, heap::statistics);
        assertFalse(heap.isHeapPointer(object));
    }

    @Test
    void shouldRefuseBadConfigurationNamingTheLimit() {
        assertEquals("build(nurseryBytes=100000): nurseryBytes must be a multiple of the block size 65536 and at"
                + " least 4 blocks", assertThrows(IllegalArgumentException.class,
                        () -> GcHeap.builder().withNurseryBytes(100_000).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> GcHeap.builder().withLargeObjectThresholdBytes(8).build());
        assertThrows(IllegalArgumentException.class, () -> GcHeap.builder().withTenureAge(0).build());
    }
}
