/**
 * The conformance suite every backend's test implements: one JUnit test interface per concern
 * ({@link dev.pagealloc.testkit.RegionLifecycleContract}, {@link dev.pagealloc.testkit.ViewContract},
 * {@link dev.pagealloc.testkit.AccountingContract}, {@link dev.pagealloc.testkit.BadInputContract},
 * {@link dev.pagealloc.testkit.ConcurrencyContract}, {@link dev.pagealloc.testkit.OptionsContract},
 * {@link dev.pagealloc.testkit.RandomOperationsContract}) over one small
 * {@link dev.pagealloc.testkit.AllocatorFixture}; the {@link dev.pagealloc.testkit.KernelView} it
 * checks every operation against; the {@link dev.pagealloc.testkit.FailureInjector} every fake
 * kernel fails calls through; and {@link dev.pagealloc.testkit.ChildJvm} for tests whose subject may
 * crash the JVM; {@link dev.pagealloc.testkit.ResourceAudit}, the audit after every test class (no
 * {@code rwx} mapping, no reservation left, statistics at zero).
 */
package dev.pagealloc.testkit;
