package dev.pagealloc.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * Entry point of the {@code pagealloc} command.
 *
 * <p>Exit status: 0 on success, 1 when the command failed, 2 on a usage error.
 */
public final class Main {
    private Main() {}

    /**
     * Runs the command named by {@code args[0]} and exits with its status.
     *
     * @param args the command and its arguments
     */
    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /**
     * Runs a command.
     *
     * @param args the command and its arguments
     * @param out where the command's output goes
     * @param err where errors go
     * @return the exit status
     */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        String command = args.isEmpty() ? "help" : args.getFirst();
        List<String> rest = args.subList(Math.min(1, args.size()), args.size());
        try {
            return switch (command) {
                case "info" -> InfoCommand.run(rest, out, err);
                case "tour" -> new TourCommand(out).run(rest, err);
                case "startup" -> StartupCommand.run(rest, out, err);
                case "jit" -> JitCommand.run(rest, System.in, out, err);
                case "wasm-spec" -> WasmCommand.spec(rest, out, err);
                case "wasm" -> WasmCommand.run(rest, out, err);
                case "gc" -> GcCommand.run(rest, out, err);
                case "heap" -> HeapCommand.run(rest, out, err);
                case "soak" -> SoakCommand.run(rest, out, err);
                case "help", "--help", "-h" -> usage(out, 0);
                default -> {
                    err.println("pagealloc: unknown command '" + command + "'");
                    yield usage(err, 2);
                }
            };
        } catch (RuntimeException e) {
            err.println("pagealloc " + command + ": " + e);
            return 1;
        }
    }

    private static int usage(PrintStream out, int status) {
        out.println("""
                usage: pagealloc <command> [options]

                commands:
                  info [--json]   what this platform can do: page and huge page sizes, THP mode,
                                  NUMA nodes, memory tagging, protection keys, providers found
                  tour            a guided run of the library on this machine, showing the
                                  kernel's own view (/proc/self/maps, smaps, numa_maps) of each step
                  startup [--runs N] [--aot FILE] [-- JVM options]
                                  the first build() and allocate() of a cold JVM, timed in N fresh JVMs
                  jit bf FILE [--interpret]
                                  compile a Brainfuck program to x86-64 code in executable memory
                                  and run it (or interpret it), on a tape in a guarded region
                  bench [args]    the JMH benchmarks against JNA and C (run by the launcher)
                  wasm-spec DIR   WebAssembly spec scripts (wabt JSON) through Chicory on pagealloc's memory;
                                  ends with "N passed, N failed, N skipped"
                  wasm run FILE.wasm [--invoke NAME ARGS...]
                                  runs a module through Chicory on pagealloc's memory (WASI when imported)
                  gc binary-trees N
                                  binary-trees on the GC heap (objects outside the Java heap), its
                                  standard output, then the heap's statistics
                  gc gcbench      Boehm's GCBench on the GC heap, its output, then the heap's statistics
                  heap [--threads N] [--operations N]
                                  a mixed malloc/free workload on the manual heap, its statistics,
                                  an arena, and the kernel's view of its pages before and after close
                  soak --minutes N [--threads T]
                                  random operations across the layers from T threads (4); prints the
                                  operations, errors handled by kind, mappings and RSS at start and end
                  help            this text

                -Dpagealloc.platform=<name> (in JAVA_TOOL_OPTIONS or PAGEALLOC_JAVA_OPTS) forces a provider.""");
        return status;
    }
}
