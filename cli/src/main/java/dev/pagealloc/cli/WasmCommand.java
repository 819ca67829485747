package dev.pagealloc.cli;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.pagealloc.chicory.ActiveData;
import dev.pagealloc.chicory.PageallocMemoryFactory;
import dev.pagealloc.chicory.programs.SampleProgram;
import dev.pagealloc.chicory.spec.CommandOutcome;
import dev.pagealloc.chicory.spec.Engine;
import dev.pagealloc.chicory.spec.SpecRunner;
import dev.pagealloc.chicory.spec.SpecSuite;
import dev.pagealloc.wasm.LinearMemory;
import dev.pagealloc.wasm.MemoryImage;
import dev.pagealloc.wasm.MemoryPool;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code pagealloc wasm-spec DIR} (WebAssembly spec scripts in wabt's JSON form, through Chicory on pagealloc's
 * memory) and {@code pagealloc wasm run FILE.wasm} (a real module on pagealloc's memory, with WASI when it
 * imports it).
 */
final class WasmCommand {

    private static final String WASI = "wasi_snapshot_preview1";

    private WasmCommand() {
    }

    /**
     * {@code wasm-spec DIR [--engine interpreter|compiler|both] [--memory pagealloc|bytearray] [--verbose]}.
     *
     * @return 0 when no command failed, 1 when one did, 2 on a usage error
     */
    static int spec(List<String> args, PrintStream out, PrintStream err) {
        Path directory = null;
        List<Engine> engines = List.of(Engine.values());
        String memory = "pagealloc";
        boolean verbose = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--engine" -> {
                    String e = value(args, ++i, a);
                    engines = e.equals("both") ? List.of(Engine.values())
                            : List.of(Engine.valueOf(e.toUpperCase(Locale.ROOT)));
                }
                case "--memory" -> memory = value(args, ++i, a);
                case "--verbose", "-v" -> verbose = true;
                default -> {
                    if (a.startsWith("-") || directory != null) {
                        err.println("pagealloc wasm-spec: unexpected argument '" + a + "'");
                        return specUsage(err);
                    }
                    directory = Path.of(a);
                }
            }
        }
        if (directory == null) {
            return specUsage(err);
        }
        List<Path> scripts = SpecSuite.scripts(directory);
        if (scripts.isEmpty()) {
            err.println("pagealloc wasm-spec: no .json scripts under " + directory
                    + " (convert .wast files with wabt's wast2json)");
            return 2;
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (Engine engine : engines) {
            for (Path script : scripts) {
                try (PageallocMemoryFactory ours = PageallocMemoryFactory.create()) {
                    List<CommandOutcome> outcomes = new SpecRunner(memories(memory, ours), engine).run(script);
                    int scriptFailed = 0;
                    for (CommandOutcome o : outcomes) {
                        switch (o.status()) {
                            case PASSED -> passed++;
                            case SKIPPED -> skipped++;
                            case FAILED -> {
                                failed++;
                                scriptFailed++;
                                out.println("FAILED " + engine.name().toLowerCase(Locale.ROOT) + " " + o.where() + ": "
                                        + o.detail());
                            }
                        }
                    }
                    if (verbose) {
                        out.println(engine.name().toLowerCase(Locale.ROOT) + " " + script.getFileName() + ": "
                                + outcomes.size() + " commands, " + scriptFailed + " failed");
                    }
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped");
        return failed == 0 ? 0 : 1;
    }

    /**
     * {@code wasm run FILE.wasm|SAMPLE [--invoke NAME ARGS...] [--interpreter] [--memory pagealloc|bytearray]
     * [--pool] [--image]}.
     *
     * @return the module's WASI exit code, else 0 on success, 1 on a trap, 2 on a usage error
     */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || !args.getFirst().equals("run")) {
            err.println("pagealloc wasm: expected 'run'");
            return runUsage(err);
        }
        String file = null;
        String invoke = null;
        List<String> invokeArgs = new ArrayList<>();
        boolean compiled = true;
        String memory = "pagealloc";
        boolean pool = false;
        boolean image = false;
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            if (invoke != null) {
                invokeArgs.add(a);
                continue;
            }
            switch (a) {
                case "--invoke" -> invoke = value(args, ++i, a);
                case "--interpreter" -> compiled = false;
                case "--memory" -> memory = value(args, ++i, a);
                case "--pool" -> pool = true;
                case "--image" -> image = true;
                default -> {
                    if (a.startsWith("-") || file != null) {
                        err.println("pagealloc wasm run: unexpected argument '" + a + "'");
                        return runUsage(err);
                    }
                    file = a;
                }
            }
        }
        if (file == null) {
            return runUsage(err);
        }
        if ((pool || image) && !memory.equals("pagealloc")) {
            err.println("pagealloc wasm run: --pool and --image need --memory pagealloc, not " + memory);
            return 2;
        }
        WasmModule module = Parser.parse(read(file));
        boolean wasi = module.importSection().stream().anyMatch(i -> i.module().equals(WASI));
        String export = invoke != null ? invoke : wasi ? "_start" : null;
        if (export == null) {
            err.println("pagealloc wasm run: " + file + " is not a WASI command: name a function with --invoke");
            return 2;
        }
        // Closed in reverse: the factory (returning its memories to the pool) before the pool and the image.
        try (MemoryImage dataImage = image ? ActiveData.imageOf(module).orElse(null) : null;
                MemoryPool slots = pool ? MemoryPool.builder().withSlots(1).build() : null;
                PageallocMemoryFactory ours = factory(slots, dataImage);
                WasiPreview1 preview1 = wasi ? WasiPreview1.builder().withOptions(WasiOptions.builder()
                        .withStdout(out).withStderr(err).withStdin(System.in)
                        .withArguments(wasiArguments(file, invokeArgs)).build()).build() : null) {
            // No automatic _start at build: it is called below, where a WASI exit is caught.
            Instance.Builder builder = Instance.builder(module).withMemoryFactory(memories(memory, ours))
                    .withStart(false);
            if (wasi) {
                builder.withImportValues(ImportValues.builder().addFunction(preview1.toHostFunctions()).build());
            }
            if (compiled) {
                builder.withMachineFactory(MachineFactoryCompiler::compile);
            }
            long startNanos = System.nanoTime();
            Instance instance = builder.build();
            FunctionType type = instance.exportType(export);
            List<ValType> params = type.params();
            if (!wasi && params.size() != invokeArgs.size()) {
                err.println("pagealloc wasm run: " + export + " takes " + params.size() + " argument(s) "
                        + params.stream().map(t -> t.toString().toLowerCase(Locale.ROOT)).toList() + ", given "
                        + invokeArgs.size());
                return 2;
            }
            long[] values = new long[wasi ? 0 : params.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = parse(params.get(i), invokeArgs.get(i));
            }
            long[] results;
            try {
                results = instance.export(export).apply(values);
            } catch (WasiExitException e) {
                report(err, instance, describe(memory, slots, dataImage, image), startNanos);
                return e.exitCode();
            } catch (ChicoryException e) {
                err.println("pagealloc wasm run: trap in " + export + ": " + e.getMessage());
                return 1;
            }
            List<ValType> returns = type.returns();
            for (int i = 0; results != null && i < returns.size(); i++) {
                out.println(format(returns.get(i), results[i]));
            }
            report(err, instance, describe(memory, slots, dataImage, image), startNanos);
            return 0;
        }
    }

    /**
     * {@return the factory for {@code --pool} and {@code --image}}: memories from the pool's slot or of their
     * own, holding the image's bytes (so Chicory's copy of the active segments is skipped) or not
     */
    private static PageallocMemoryFactory factory(MemoryPool pool, MemoryImage image) {
        if (image != null) {
            return PageallocMemoryFactory.preloaded(pool != null ? type -> pool.acquire(type, image)
                    : type -> LinearMemory.create(type, image));
        }
        return pool != null ? PageallocMemoryFactory.from(pool::acquire) : PageallocMemoryFactory.create();
    }

    private static String describe(String memory, MemoryPool pool, MemoryImage image, boolean imageAsked) {
        StringBuilder text = new StringBuilder(memory);
        if (pool != null) {
            text.append(", from a pool slot of ").append(pool.slotBytes() >> 20).append(" MiB");
        }
        if (image != null) {
            text.append(", active data from an image of ").append(image.contentBytes()).append(" bytes (")
                    .append(image.mechanism()).append(')');
        } else if (imageAsked) {
            text.append(", no image (the module has no active data)");
        }
        return text.toString();
    }

    private static void report(PrintStream err, Instance instance, String memory, long startNanos) {
        long micros = (System.nanoTime() - startNanos) / 1_000;
        try {
            Memory m = instance.memory();
            err.println("(" + memory + " memory: " + m.pages() + " pages of 64 KiB after the call; " + micros
                    + " µs for instantiation and call)");
        } catch (RuntimeException e) {
            err.println("(" + micros + " µs for instantiation and call; the module has no memory)");
        }
    }

    private static List<String> wasiArguments(String file, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(file);
        all.addAll(rest);
        return all;
    }

    private static Function<MemoryLimits, Memory> memories(String memory, PageallocMemoryFactory ours) {
        return switch (memory) {
            case "pagealloc" -> ours;
            case "bytearray" -> ByteArrayMemory::new;
            default -> throw new IllegalArgumentException("--memory " + memory + ": expected pagealloc or bytearray");
        };
    }

    private static byte[] read(String file) {
        Path path = Path.of(file);
        if (!Files.exists(path)) {
            for (SampleProgram p : SampleProgram.values()) {
                if (p.fileName().equals(file)) {
                    return p.wasm();
                }
            }
            throw new IllegalArgumentException("no file " + file + " (nor a sample program: "
                    + Arrays.stream(SampleProgram.values()).map(SampleProgram::fileName).toList() + ")");
        }
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static long parse(ValType type, String text) {
        if (type.equals(ValType.I32)) {
            return Integer.parseInt(text) & 0xFFFF_FFFFL;
        } else if (type.equals(ValType.I64)) {
            return Long.parseLong(text);
        } else if (type.equals(ValType.F32)) {
            return Float.floatToRawIntBits(Float.parseFloat(text)) & 0xFFFF_FFFFL;
        } else if (type.equals(ValType.F64)) {
            return Double.doubleToRawLongBits(Double.parseDouble(text));
        }
        throw new IllegalArgumentException("argument of type " + type + " cannot be given on the command line");
    }

    private static String format(ValType type, long value) {
        if (type.equals(ValType.I32)) {
            return Integer.toString((int) value);
        } else if (type.equals(ValType.F32)) {
            return Float.toString(Float.intBitsToFloat((int) value));
        } else if (type.equals(ValType.F64)) {
            return Double.toString(Double.longBitsToDouble(value));
        }
        return Long.toString(value);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static int specUsage(PrintStream err) {
        err.println("usage: pagealloc wasm-spec DIR [--engine interpreter|compiler|both] "
                + "[--memory pagealloc|bytearray] [--verbose]");
        return 2;
    }

    private static int runUsage(PrintStream err) {
        err.println("usage: pagealloc wasm run FILE.wasm|sieve|hash|sort|hello-wasi [--interpreter] "
                + "[--memory pagealloc|bytearray] [--pool] [--image] [--invoke NAME ARGS...]");
        return 2;
    }
}
