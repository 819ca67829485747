package dev.pagealloc.api;

import java.lang.foreign.MemorySegment;

/**
 * A reservation of address space with a committed, accessible prefix that can grow in place.
 *
 * <p>Layout: {@code [guard before][committed pages | reserved pages up to the maximum][guard after]}.
 * The base {@link #address()} never changes while the region lives. Page counts are in the
 * allocator's logical page unit ({@link #pageBytes()}); byte offsets of protect, decommit and
 * discard must be multiples of {@link #protectionGranuleBytes()} (the system page, or the huge page
 * when the region uses explicit huge pages).
 *
 * <h2>Views</h2>
 * Java code reaches the memory only through {@link #segment()} and {@link #segment(long, long)},
 * segments bounded to accessible bytes. Views are invalidated, and then throw
 * {@link IllegalStateException} on access, whenever access is taken away: {@link #deallocate()},
 * {@link #decommit(long, long)}, and {@link #protect(long, long, Protection)} to a protection that
 * is not {@linkplain Protection#isWithin(Protection) wider}. Ask for a new view afterwards. Views of
 * a read-only range are read-only segments. Growing and discarding leave views valid. Whether other
 * threads may use views is the allocator's {@link ViewSharing}. With {@link ViewSharing#SHARED}
 * views, deallocation invalidates them in batches: until its batch closes, a stale view reads zero
 * and never faults (see {@link ViewQuarantine}).
 *
 * <h2 id="confined">Confined views and other threads</h2>
 * With {@link ViewSharing#CONFINED} (the default) the live views of a region belong to one thread,
 * the <em>owner</em>: the thread that asked for the first view while none was live. Then:
 * <ul>
 *   <li>another thread asking for a view ({@link #segment()}, {@link #segment(long, long)}) while
 *       the owner is alive gets {@link WrongThreadException} at once, naming the owner; it never
 *       gets a view that would fail on first use;
 *   <li>an operation that invalidates views ({@link #deallocate()}, {@link #decommit(long, long)},
 *       a narrowing {@link #protect(long, long, Protection)}) called by another thread while the
 *       owner is alive throws {@link WrongThreadException} and changes nothing;
 *   <li>once every view has been invalidated, or the owner has ended (platform or virtual thread,
 *       a pool thread after its executor shut down), the owner's views can never be used again, so
 *       the next thread to ask for a view becomes the owner, and any thread may invalidate them.
 *       "Ended" is {@link Thread#isAlive()} false: a pool's worker ends a moment after
 *       {@link java.util.concurrent.ExecutorService#awaitTermination awaitTermination} returns
 *       (join the thread, or invalidate its views from a task, to be sure).
 * </ul>
 * So a region created on one thread and used on another works, as long as one thread at a time
 * holds views; a region whose owner ended can always be released. Operations that take no access
 * away ({@link #grow(long)}, a widening protect, {@link #discard(long, long)}, {@link #recommit})
 * work from any thread. {@link ViewSharing#SHARED} lets every thread hold views at once.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: operations on one region are serialized; grow, protect and discard may race with
 * threads reading views without tearing or crashing (with {@link ViewSharing#SHARED}).
 *
 * <h2>Failure</h2>
 * Bad arguments throw {@link IllegalArgumentException} or {@link IndexOutOfBoundsException}
 * before any system call; operations on a deallocated region throw {@link IllegalStateException};
 * an option the platform lacks throws {@link UnsupportedOptionException} before anything changes;
 * kernel refusals throw {@link KernelException}. Each leaves the pages, their contents, the page
 * count, the budget and the statistics' sizes as they were, with two exceptions: an operation that
 * invalidates views has already invalidated them when the kernel refuses (ask for new views), and a
 * refused {@link #decommit(long, long)} may have dropped contents where the platform needs several
 * calls (see there). Where
 * the kernel refuses part-way (Linux {@code mprotect} stops at the first mapping it cannot change),
 * the region puts back the protections it had; a range it cannot put back either is then recorded
 * as {@link Protection#NONE}, its contents kept, and that second refusal is attached to the
 * exception as a suppressed one.
 */
public interface Region extends AutoCloseable {

    /** {@return the base address: the first accessible byte; constant for the region's life} */
    long address();

    /** {@return the logical page unit of page counts, in bytes} */
    long pageBytes();

    /** {@return the unit of protect, decommit and discard ranges, in bytes} */
    long protectionGranuleBytes();

    /** {@return the current size, in logical pages} */
    long pages();

    /** {@return the maximum size, in logical pages} */
    long maximumPages();

    /** {@return the accessible size: {@code pages() * pageBytes()}, in bytes} */
    long byteSize();

    /** {@return the bytes committed for the current size, rounded up to the granule, in bytes} */
    long committedBytes();

    /** {@return the whole reservation, guards included, in bytes} */
    long reservedBytes();

    /** {@return the guard region before the base, in bytes (may be 0)} */
    long guardBeforeBytes();

    /** {@return the guard region after the reserved maximum, in bytes (may be 0)} */
    long guardAfterBytes();

    /** {@return the options this region really got} */
    AppliedOptions appliedOptions();

    /** {@return whether the region has not been deallocated} */
    boolean isAlive();

    /**
     * {@return a view of all accessible bytes, {@code [0, byteSize())}}; read-only if any page in it
     * is read-only or read-execute. The view is cached until the size or access changes, and
     * handed only to a thread that may use it.
     *
     * @throws IllegalStateException if the region is deallocated, or a page in range is
     *     inaccessible (protected {@link Protection#NONE} or decommitted); the message names it
     * @throws WrongThreadException if views are {@linkplain ViewSharing#CONFINED confined} to
     *     another thread that is alive (see <a href="#confined">confined views</a>)
     */
    MemorySegment segment();

    /**
     * {@return a view of {@code [byteOffset, byteOffset + byteLength)}}; read-only if any page in it
     * is read-only or read-execute.
     *
     * @param byteOffset the first byte, from the base; {@code 0 <= byteOffset <= byteSize()}
     * @param byteLength the length, in bytes; {@code byteOffset + byteLength <= byteSize()}
     * @throws IndexOutOfBoundsException if the range is not within {@code [0, byteSize())}
     * @throws IllegalStateException if the region is deallocated or a page in range is inaccessible
     * @throws WrongThreadException if views are {@linkplain ViewSharing#CONFINED confined} to
     *     another thread that is alive (see <a href="#confined">confined views</a>)
     */
    MemorySegment segment(long byteOffset, long byteLength);

    /**
     * Commits {@code additionalPages} more pages in place, readable and writable and reading zero.
     *
     * <p>With a page unit smaller than the {@linkplain #protectionGranuleBytes() granule} the first
     * new page can start inside the granule that holds the region's last pages; that granule must
     * then be {@link Protection#READ_WRITE}, since its protection cannot differ between the pages
     * it holds. Otherwise the grow is refused and nothing changes.
     *
     * @param additionalPages pages to add; {@code >= 0} (0 only reports the size)
     * @return the size before the call, in pages
     * @throws IllegalArgumentException if {@code additionalPages < 0}
     * @throws MaximumPagesExceededException if the result would pass {@link #maximumPages()}
     * @throws BudgetExceededException if the allocator's budget cannot take the pages
     * @throws MappingLimitExceededException if the commit could leave the process fewer than the
     *     {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}; nothing changes
     * @throws KernelException if the kernel refuses the commit
     * @throws UnsupportedOptionException if the platform cannot populate or lock the new pages and
     *     best effort is off (a platform that says so in its capabilities is refused at build)
     * @throws IllegalStateException if the region is deallocated, or the new pages would start in a
     *     granule that is protected or decommitted
     */
    long grow(long additionalPages);

    /**
     * Like {@link #grow(long)} but reports every refusal that is a {@link PageAllocatorException} (a grow
     * past the maximum; a budget, mapping-limit or kernel refusal; an option the platform cannot apply to
     * the new pages) as {@code -1}, as WebAssembly's {@code memory.grow} does.
     *
     * @param additionalPages pages to add; {@code >= 0}
     * @return the size before the call in pages, or {@code -1} if nothing was committed
     * @throws IllegalArgumentException if {@code additionalPages < 0}
     * @throws UnsupportedOptionException as {@link #grow(long)}
     * @throws IllegalStateException as {@link #grow(long)}: the region is deallocated, or the new
     *     pages would start in a granule that is protected or decommitted
     */
    long tryGrow(long additionalPages);

    /**
     * Changes the protection of committed pages. A protection that is not {@linkplain
     * Protection#isWithin(Protection) wider} than every page's in the range invalidates every view
     * of the region first (see {@link ViewSharing}).
     *
     * @param byteOffset the first byte, from the base; a multiple of {@link #protectionGranuleBytes()}
     * @param byteLength the length, in bytes; a multiple of the granule, within {@link #committedBytes()}
     * @param protection the new protection; not null
     * @throws NullPointerException if {@code protection} is null
     * @throws IllegalArgumentException if the range is misaligned or {@code byteLength < 0}
     * @throws IndexOutOfBoundsException if the range passes {@link #committedBytes()}
     * @throws IllegalStateException if the region is deallocated, or the range holds decommitted
     *     pages, or the change would invalidate views while a JDK call holds a
     *     {@link ViewSharing#SHARED} view (as {@link #deallocate()}); nothing changes
     * @throws UnsupportedOptionException if the platform cannot give {@code protection} at all
     *     ({@link Capabilities#protections()}: the embedded buffer has no {@code READ_EXECUTE});
     *     refused before any view is invalidated, so nothing changes
     * @throws WrongThreadException if the change would invalidate views confined to another thread
     *     that is alive; nothing changes
     * @throws MappingLimitExceededException if it could leave the process fewer than the
     *     {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}; checked before any
     *     system call, nothing changes
     * @throws KernelException if the kernel refuses; views are then already invalidated if the
     *     change narrowed access, and the range keeps its protection (see Failure above)
     * @implNote {@code mprotect} on Linux, {@code mach_vm_protect} on macOS, {@code VirtualProtect} on Windows.
     */
    void protect(long byteOffset, long byteLength, Protection protection);

    /**
     * {@return the protection of the page holding {@code byteOffset}}, {@link Protection#NONE} for
     * a decommitted page
     *
     * @param byteOffset a byte within {@link #committedBytes()}
     * @throws IndexOutOfBoundsException if {@code byteOffset} is outside {@code [0, committedBytes())}
     * @throws IllegalStateException if the region is deallocated
     */
    Protection protectionAt(long byteOffset);

    /**
     * Returns committed pages to the operating system and makes them inaccessible; their contents
     * are gone and they read zero after {@link #recommit(long, long)}. The region's size is unchanged.
     *
     * @param byteOffset the first byte; a multiple of the granule
     * @param byteLength the length, in bytes; a multiple of the granule, within {@link #committedBytes()}
     * @throws IllegalArgumentException if the range is misaligned or {@code byteLength < 0}
     * @throws IndexOutOfBoundsException if the range passes {@link #committedBytes()}
     * @throws IllegalStateException if the region is deallocated, or a JDK call holds a
     *     {@link ViewSharing#SHARED} view (as {@link #deallocate()}); nothing changes
     * @throws WrongThreadException if views are confined to another thread that is alive; nothing changes
     * @throws MappingLimitExceededException if it could leave the process fewer than the
     *     {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}; checked before any
     *     system call, nothing changes
     * @throws KernelException if the kernel refuses; views are already invalidated, and the pages
     *     keep their protection (see Failure above) and, on Linux and Windows base pages, their
     *     contents. Where a platform drops the contents in a step before the last
     *     (macOS replaces the pages, then takes their access; Windows large pages are zeroed, then
     *     protected), a refusal of that last step leaves those pages reading zero.
     * @implNote {@code mprotect(PROT_NONE)} then {@code madvise(MADV_DONTNEED)} on Linux, in that
     *     order so that a refusal (ENOMEM at {@code vm.max_map_count}) comes before any content is
     *     dropped; {@code VirtualFree(MEM_DECOMMIT)} on Windows, one call.
     */
    void decommit(long byteOffset, long byteLength);

    /**
     * Makes decommitted pages readable and writable again, reading zero.
     *
     * @param byteOffset the first byte; a multiple of the granule
     * @param byteLength the length, in bytes; a multiple of the granule, within {@link #committedBytes()}
     * @throws IllegalArgumentException if the range is misaligned, {@code byteLength < 0}, or holds
     *     pages that are not decommitted
     * @throws IndexOutOfBoundsException if the range passes {@link #committedBytes()}
     * @throws BudgetExceededException if the budget cannot take the pages
     * @throws MappingLimitExceededException if it could leave the process fewer than the
     *     {@linkplain PageAllocatorBuilder#withMappingHeadroom(long) mapping headroom}; checked before any
     *     system call, nothing changes
     * @throws KernelException if the kernel refuses
     * @throws IllegalStateException if the region is deallocated
     */
    void recommit(long byteOffset, long byteLength);

    /**
     * Drops the contents of committed pages while keeping them accessible: they read zero next and
     * their memory goes back to the system until touched. Views stay valid.
     *
     * @param byteOffset the first byte; a multiple of the granule
     * @param byteLength the length, in bytes; a multiple of the granule, within {@link #committedBytes()}
     * @throws IllegalArgumentException if the range is misaligned or {@code byteLength < 0}
     * @throws IndexOutOfBoundsException if the range passes {@link #committedBytes()}
     * @throws IllegalStateException if the region is deallocated, or the range holds decommitted
     *     pages (they hold nothing to discard); the message names the first
     * @throws KernelException if the kernel refuses
     * @implNote {@code madvise(MADV_DONTNEED)} on Linux; on macOS fresh zero-fill pages mapped over
     *     the range ({@code mach_vm_allocate(VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE)}, then each run's
     *     protection restored: {@code MADV_FREE_REUSABLE} would not zero).
     *     On Windows, which cannot swap accessible pages for zero pages atomically, inaccessible pages
     *     are decommitted and recommitted, and accessible ones are zero-filled and then given to
     *     {@code DiscardVirtualMemory} (made {@code PAGE_READWRITE} for the moment of the call, as it
     *     requires): they read zero and their memory may go back to the system, but the fill touches
     *     each page once first. Windows large pages are nonpageable: they are only zero-filled.
     */
    void discard(long byteOffset, long byteLength);

    /**
     * Gives the platform advice about how committed pages will be used ({@link Advice}). Protections,
     * commitment and views do not change; contents change only as the advice says
     * ({@link Advice#DONT_NEED}). Thread-safe, as every state change of a region.
     *
     * @param byteOffset the first byte; a multiple of {@link #protectionGranuleBytes()}
     * @param byteLength the length, in bytes; a multiple of the granule, within {@link #committedBytes()};
     *     0 does nothing
     * @param advice the advice
     * @throws NullPointerException if {@code advice} is null
     * @throws IllegalArgumentException if the range is misaligned or {@code byteLength < 0}
     * @throws IndexOutOfBoundsException if the range passes {@link #committedBytes()}
     * @throws IllegalStateException if the region is deallocated
     * @throws UnsupportedOperationException if the platform cannot follow this advice (the message says
     *     why; {@link PageAllocator#features()} lists which platforms give advice at all); nothing changed
     * @throws KernelException if the kernel refuses (e.g. macOS {@code MADV_FREE_REUSABLE} on pages that
     *     are not writable); contents are kept unless the advice drops them
     * @implNote Linux {@code madvise}; macOS {@code madvise} ({@code MADV_FREE_REUSABLE} and
     *     {@code MADV_FREE_REUSE} for {@code DONT_NEED}/{@code REUSE}); Windows {@code DiscardVirtualMemory}
     *     for {@code DONT_NEED}; the embedded buffer follows what it can in software.
     */
    void advise(long byteOffset, long byteLength, Advice advice);

    /**
     * Checks the software-checked guards and inaccessible pages of this region now. A no-op where
     * the hardware enforces them.
     *
     * @throws GuardCorruptedException if a canary was overwritten
     * @throws IllegalStateException if the region is deallocated
     */
    void verifyGuards();

    /**
     * Releases the whole reservation, guards included, and invalidates every view. With
     * {@link ViewSharing#SHARED} views (when the region handed out any) and a
     * {@linkplain PageAllocatorBuilder#withViewQuarantine quarantine}, the contents are discarded at
     * once and the release and the invalidation happen later, with a batch (see {@link ViewQuarantine}:
     * meanwhile a stale view reads zero, never another region's data, and never faults).
     *
     * @apiNote Idempotent, unlike {@link java.lang.foreign.Arena#close()}: regions are often
     *     released both by an owner and by a cleanup path, and the second call has nothing to lose.
     *     A refused call ({@link WrongThreadException}, {@link IllegalStateException}) leaves the
     *     region alive, so call it again once the cause is gone; in try-with-resources the region
     *     then outlives the block.
     * @throws WrongThreadException if views are {@link ViewSharing#CONFINED} to another thread
     *     that is alive; the region is then left alive and intact (views confined to a thread that
     *     has ended are dropped and the region is released, see <a href="#confined">confined views</a>)
     * @throws IllegalStateException without a quarantine ({@link ViewQuarantine#NONE}), if a JDK call
     *     that holds a {@link ViewSharing#SHARED} view's memory (an NIO transfer through
     *     {@code asByteBuffer()}, a downcall passed the view) is running in another thread: the JDK
     *     keeps the arena open until it returns; the region is then left alive and intact, its views
     *     valid. With a quarantine the call goes on over zeroed pages instead.
     * @throws KernelException if the kernel refuses to unmap (a quarantined region's later release
     *     has no caller to refuse: a refusal there is counted in {@link AllocatorStatistics#failures()}
     *     and the range stays reserved)
     * @throws GuardCorruptedException if software-checked guards are verified on deallocate and a
     *     canary was overwritten; the region is released all the same
     */
    void deallocate();

    /** Same as {@link #deallocate()}. */
    @Override
    void close();
}
