/**
 * What pagealloc tells about itself: JDK Flight Recorder events for every region operation and
 * refusal, the leak detector for regions dropped without {@code deallocate()}, and the
 * {@link java.lang.System.Logger} through which the rare warnings go. Not exported: the region and
 * allocator call in with one line per operation, and users see only JFR events and log records.
 */
package dev.pagealloc.internal.observe;
