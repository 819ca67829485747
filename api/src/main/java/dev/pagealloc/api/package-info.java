/**
 * Reserve, commit, grow, protect, decommit, discard and release pages of virtual memory.
 *
 * <p>Start with {@link dev.pagealloc.api.PageAllocator#builder()}: it picks the best platform
 * provider found through {@link java.util.ServiceLoader}, checks the options, and returns an
 * allocator whose {@link dev.pagealloc.api.PageAllocator#allocate(long, long) allocate} hands out
 * {@link dev.pagealloc.api.Region regions}: reservations whose base address never moves and whose
 * accessible bytes Java code reaches only through bounded {@link java.lang.foreign.MemorySegment}s.
 *
 * <h2 id="failures">Failures</h2>
 *
 * <p>Every failure a correct program can meet is a {@link dev.pagealloc.api.PageAllocatorException},
 * a sealed class, so one {@code catch} sees them all and a {@code switch} over them is exhaustive:
 * <table class="striped">
 * <caption>The pagealloc failures</caption>
 * <thead><tr><th>type</th><th>when</th><th>thrown by</th></tr></thead>
 * <tbody>
 * <tr><td>{@link dev.pagealloc.api.PlatformUnavailableException}</td><td>no provider serves this
 *     machine, or the named one is missing</td><td>{@code build()}</td></tr>
 * <tr><td>{@link dev.pagealloc.api.UnsupportedOptionException}</td><td>an option the platform cannot
 *     honour, best effort off</td><td>{@code build()} for what the capabilities rule out; {@code allocate}
 *     and commits for what only the attempt shows (an emptied huge page pool, pages that cannot be
 *     locked)</td></tr>
 * <tr><td>{@link dev.pagealloc.api.MaximumPagesExceededException}</td><td>a grow past the
 *     maximum</td><td>{@code grow}</td></tr>
 * <tr><td>{@link dev.pagealloc.api.BudgetExceededException}</td><td>a commit past the maximum of a
 *     {@link dev.pagealloc.api.MemoryPartition} or one of its ancestors (a {@link dev.pagealloc.api.MemoryBudget}
 *     is one)</td><td>{@code allocate}, {@code grow}, {@code recommit}</td></tr>
 * <tr><td>{@link dev.pagealloc.api.MappingLimitExceededException}</td><td>the process would keep fewer
 *     free memory mappings than the headroom ({@code vm.max_map_count})</td><td>{@code allocate},
 *     {@code grow}, {@code protect}, {@code decommit}, {@code recommit}, before any system call</td></tr>
 * <tr><td>{@link dev.pagealloc.api.KernelException}</td><td>the OS refused a system call</td><td>any
 *     operation</td></tr>
 * <tr><td>{@link dev.pagealloc.api.GuardCorruptedException}</td><td>a software-checked guard was
 *     overwritten</td><td>{@code verifyGuards}, {@code deallocate}, operations when verified on each</td></tr>
 * </tbody>
 * </table>
 *
 * <p>Programming errors keep their JDK types and are not {@code PageAllocatorException}s:
 * {@link java.lang.IllegalArgumentException} and {@link java.lang.NullPointerException} for bad
 * arguments, {@link java.lang.IndexOutOfBoundsException} for ranges outside the region,
 * {@link java.lang.IllegalStateException} for a deallocated region, {@link java.lang.WrongThreadException}
 * for confined views used from another thread. Each message is one line naming the operation and its
 * arguments: {@code protect(byteOffset=0, byteLength=4096, protection=null): protection must not be null}.
 */
package dev.pagealloc.api;
