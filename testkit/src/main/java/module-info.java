/**
 * pagealloc's test kit: the conformance suite every backend's tests extend, the kernel views
 * they check against, child-JVM crash tests, and simulated kernels for platforms this machine is not.
 */
module dev.pagealloc.testkit {
    requires transitive dev.pagealloc.api;
    requires dev.pagealloc.platform.support;
    // ResourceAudit reads HotSpot's code cache bounds through the DiagnosticCommand MBean.
    requires java.management;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;

    exports dev.pagealloc.testkit;
    exports dev.pagealloc.testkit.sim;
}
