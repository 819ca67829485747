package dev.pagealloc.cli;

import dev.pagealloc.api.Capabilities;
import dev.pagealloc.api.FeatureSupport;
import dev.pagealloc.api.PageAllocator;
import dev.pagealloc.api.ProviderStatus;
import dev.pagealloc.api.Units;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code pagealloc info [--json]}: the capability report of the selected provider. */
final class InfoCommand {
    private InfoCommand() {}

    static int run(List<String> args, PrintStream out, PrintStream err) {
        boolean json = args.contains("--json");
        for (String arg : args) {
            if (!arg.equals("--json")) {
                err.println("pagealloc info: unknown option '" + arg + "' (only --json)");
                return 2;
            }
        }
        List<ProviderStatus> providers = PageAllocator.providers();
        PageAllocator allocator = PageAllocator.builder().build();
        Capabilities caps = allocator.capabilities();
        List<FeatureSupport> features = allocator.features();
        if (json) {
            Map<String, Object> report = report(allocator.platform(), providers, caps);
            Map<String, Object> byName = new LinkedHashMap<>();
            for (FeatureSupport f : features) {
                Map<String, Object> answer = new LinkedHashMap<>();
                answer.put("available", f.available());
                answer.put("reason", f.reason());
                byName.put(f.feature(), answer);
            }
            report.put("features", byName);
            out.println(Json.write(report));
        } else {
            text(allocator.platform(), providers, caps, out);
            out.println();
            out.println("platform features:");
            features.forEach(f -> out.printf("  %-22s %-4s %s%n", f.feature(), f.available() ? "yes" : "no",
                    f.reason()));
        }
        return 0;
    }

    /** The JSON report: one object whose keys are stable for scripts. */
    static Map<String, Object> report(String provider, List<ProviderStatus> providers, Capabilities caps) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("provider", provider);
        report.put("providers", providers.stream().map(p -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("supported", p.supported());
            m.put("reason", p.reason());
            m.put("priority", p.priority());
            return m;
        }).toList());
        report.put("operatingSystem", caps.operatingSystem());
        report.put("architecture", caps.architecture());
        report.put("pageSize", caps.pageBytes());
        report.put("allocationGranularity", caps.allocationGranularityBytes());
        report.put("hugePageSizes", caps.hugePageSizes().stream().map(Capabilities.HugePageSize::pageBytes).toList());
        Map<String, Object> free = new LinkedHashMap<>();
        Map<String, Object> total = new LinkedHashMap<>();
        for (Capabilities.HugePageSize size : caps.hugePageSizes()) {
            free.put(Long.toString(size.pageBytes()), size.freePages());
            total.put(Long.toString(size.pageBytes()), size.totalPages());
        }
        report.put("hugePagesFree", free);
        report.put("hugePagesTotal", total);
        report.put("transparentHugePages", caps.transparentHugePages().name().toLowerCase());
        report.put("numaNodes", caps.numaNodes().stream().map(n -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", n.id());
            m.put("totalBytes", n.totalBytes());
            m.put("freeBytes", n.freeBytes());
            m.put("cpus", n.cpus());
            return m;
        }).toList());
        report.put("memoryTagging", caps.memoryTagging());
        report.put("protectionKeys", caps.protectionKeys());
        report.put("wxStrategies", caps.wxStrategies().stream().map(Enum::name).sorted().toList());
        report.put("addressBits", caps.addressBits());
        report.put("overcommit", caps.overcommit().name().toLowerCase());
        report.put("memoryLimitBytes", caps.memoryLimitBytes().isPresent() ? caps.memoryLimitBytes().getAsLong()
                : null);
        report.put("totalMemoryBytes", caps.totalMemoryBytes());
        report.put("processors", caps.processors());
        return report;
    }

    private static void text(String provider, List<ProviderStatus> providers, Capabilities caps, PrintStream out) {
        out.println("pagealloc on " + provider + " (" + caps.operatingSystem() + ", " + caps.architecture() + ")");
        out.println();
        out.println("providers found:");
        for (ProviderStatus p : providers) {
            out.printf("  %-10s %-12s priority %-4d %s%n", p.name(), p.supported() ? "supported" : "unsupported",
                    p.priority(), p.reason());
        }
        out.println();
        row(out, "page size", Units.bytes(caps.pageBytes()));
        row(out, "allocation granularity", Units.bytes(caps.allocationGranularityBytes()));
        row(out, "huge page pools", caps.hugePageSizes().isEmpty() ? "none"
                : caps.hugePageSizes().stream()
                        .map(h -> Units.bytes(h.pageBytes()) + ": " + h.freePages() + " free of " + h.totalPages())
                        .collect(Collectors.joining("; ")));
        row(out, "transparent huge pages", caps.transparentHugePages().name().toLowerCase());
        row(out, "NUMA nodes", caps.numaNodes().isEmpty() ? "none (no NUMA support)"
                : caps.numaNodes().stream()
                        .map(n -> "node " + n.id() + ": " + gib(n.totalBytes()) + " (" + gib(n.freeBytes())
                                + " free), cpus " + n.cpus())
                        .collect(Collectors.joining("; ")));
        row(out, "memory tagging (MTE)", caps.memoryTagging() ? "yes" : "no");
        row(out, "protection keys", caps.protectionKeys() ? "yes" : "no");
        row(out, "W^X strategies", caps.wxStrategies().isEmpty() ? "none (no executable memory)"
                : caps.wxStrategies().stream().map(Enum::name).sorted().collect(Collectors.joining(", ")));
        row(out, "user address bits", Integer.toString(caps.addressBits()));
        row(out, "overcommit", caps.overcommit().name().toLowerCase());
        row(out, "memory limit (cgroup)", caps.memoryLimitBytes().isPresent() ? gib(caps.memoryLimitBytes().getAsLong())
                : "none");
        row(out, "memory", gib(caps.totalMemoryBytes()) + ", " + caps.processors() + " processors");
    }

    private static void row(PrintStream out, String name, String value) {
        out.printf("  %-24s %s%n", name, value);
    }

    static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }
}
