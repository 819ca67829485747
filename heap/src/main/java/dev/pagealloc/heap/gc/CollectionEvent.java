package dev.pagealloc.heap.gc;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A JFR event per collection of a {@link GcHeap}; its duration is the pause. */
@Name("dev.pagealloc.heap.Collection")
@Label("Heap Collection")
@Category({"pagealloc", "Heap"})
@Description("A minor or major collection of a pagealloc GC heap")
final class CollectionEvent extends Event {

    @Label("Kind")
    @Description("minor or major")
    String kind;

    @Label("Nursery Used Before")
    @DataAmount
    long nurseryUsedBytesBefore;

    @Label("Survived")
    @Description("Bytes copied within the nursery, promoted, or kept in place")
    @DataAmount
    long survivedBytes;

    @Label("Promoted")
    @DataAmount
    long promotedBytes;

    @Label("Reclaimed")
    @DataAmount
    long reclaimedBytes;

    @Label("Kept In Place")
    @Description("Nursery objects kept where they are: pinned, or no room to copy them")
    long keptInPlace;

    @Label("Compacted")
    @Description("Old-generation bytes a major collection moved out of sparse blocks (with compaction on)")
    @DataAmount
    long compactedBytes;
}
