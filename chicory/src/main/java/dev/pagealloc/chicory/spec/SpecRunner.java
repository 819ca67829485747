package dev.pagealloc.chicory.spec;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.Store;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.pagealloc.chicory.spec.CommandOutcome.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Runs one WebAssembly spec script, converted by wabt's {@code wast2json}, through Chicory on a given memory
 * factory and engine, checking each command as strictly as Chicory's own generated spec tests: the exception
 * type ({@link ChicoryException} for traps, {@link InvalidException}, {@link MalformedException},
 * {@link UnlinkableException}, {@link UninstantiableException}) and that its message contains the script's
 * text; results bit for bit, NaNs by their canonical or arithmetic pattern.
 *
 * <p>Commands: {@code module}, {@code register}, {@code action}, {@code assert_return}, {@code assert_trap},
 * {@code assert_exhaustion}, {@code assert_invalid}, {@code assert_malformed}, {@code assert_unlinkable},
 * {@code assert_uninstantiable}. A module in text form (only in {@code assert_malformed} and
 * {@code assert_invalid}, where wabt could not assemble it) is skipped: Chicory parses binaries only.
 * Imports from {@code spectest} are the reference interpreter's (print functions, globals 666, a table of
 * 10..20, a memory of 1..2 pages and a shared one), the memories made by the given factory.
 *
 * <p>Not thread-safe: one run per thread; runs on different threads are independent.
 */
public final class SpecRunner {

    private final Function<MemoryLimits, Memory> memories;
    private final Engine engine;

    /**
     * Creates a runner.
     *
     * @param memories the memory factory every instance, and the {@code spectest} module, uses
     * @param engine interpreter or compiler
     * @throws NullPointerException if an argument is null
     */
    public SpecRunner(Function<MemoryLimits, Memory> memories, Engine engine) {
        this.memories = Objects.requireNonNull(memories, "memories");
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    /**
     * Runs every command of a script, in order; a command's failure does not stop the next.
     *
     * @param json the script's {@code .json} file, beside the {@code .wasm} files it names
     * @return one outcome per command, in the script's order
     * @throws UncheckedIOException if the script cannot be read
     * @throws IllegalArgumentException if it is not wabt's JSON format
     */
    public List<CommandOutcome> run(Path json) {
        String name = json.getFileName().toString().replaceFirst("\\.json$", "");
        Map<?, ?> root;
        try {
            root = (Map<?, ?>) WabtJson.parse(Files.readString(json, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec script " + json, e);
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("wabt JSON: " + json + " is not an object", e);
        }
        List<?> commands = (List<?>) root.get("commands");
        if (commands == null) {
            throw new IllegalArgumentException("wabt JSON: " + json + " has no \"commands\"");
        }
        Script script = new Script(name, json.getParent());
        List<CommandOutcome> outcomes = new ArrayList<>(commands.size());
        for (Object command : commands) {
            Map<?, ?> c = (Map<?, ?>) command;
            String type = (String) c.get("type");
            long line = c.get("line") instanceof Long l ? l : -1;
            CommandOutcome outcome;
            try {
                String failure = script.execute(type, c);
                outcome = failure == null
                        ? new CommandOutcome(name, line, type, Status.PASSED, "")
                        : failure.startsWith(SKIP)
                                ? new CommandOutcome(name, line, type, Status.SKIPPED, failure.substring(SKIP.length()))
                                : new CommandOutcome(name, line, type, Status.FAILED, failure);
            } catch (RuntimeException | StackOverflowError e) {
                outcome = new CommandOutcome(name, line, type, Status.FAILED, "runner: " + describe(e));
            }
            outcomes.add(outcome);
        }
        return outcomes;
    }

    private static final String SKIP = "\0skip:";

    /** The state of one script's run: the store, the named and the last instance. */
    private final class Script {
        private final String name;
        private final Path directory;
        private final Store store = new Store();
        private final Map<String, Instance> named = new HashMap<>();
        private Instance last;

        Script(String name, Path directory) {
            this.name = name;
            this.directory = directory;
            store.addImportValues(spectest());
        }

        /** {@return null when the command passed, else why not (prefixed by SKIP when skipped)} */
        String execute(String type, Map<?, ?> c) {
            return switch (type) {
                case "module" -> module(c);
                case "register" -> register(c);
                case "action" -> action(c);
                case "assert_return" -> assertReturn(c);
                case "assert_trap", "assert_exhaustion" -> assertTrap(c);
                case "assert_invalid" -> assertModuleFails(c, InvalidException.class);
                case "assert_malformed" -> assertModuleFails(c, MalformedException.class);
                case "assert_unlinkable" -> assertModuleFails(c, UnlinkableException.class);
                case "assert_uninstantiable" -> assertModuleFails(c, UninstantiableException.class);
                default -> SKIP + "command type " + type + " not supported by this runner";
            };
        }

        private Instance instantiate(String filename) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(directory.resolve(filename));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + filename + " of " + name, e);
            }
            Instance.Builder builder = Instance.builder(Parser.parse(bytes))
                    .withImportValues(store.toImportValues())
                    .withMemoryFactory(memories);
            return engine.apply(builder).build();
        }

        private String module(Map<?, ?> c) {
            last = null;
            try {
                last = instantiate((String) c.get("filename"));
            } catch (RuntimeException | StackOverflowError e) {
                return "module did not instantiate: " + describe(e);
            }
            if (c.get("name") instanceof String moduleName) {
                named.put(moduleName, last);
            }
            return null;
        }

        private String register(Map<?, ?> c) {
            Instance instance = c.get("name") instanceof String moduleName ? named.get(moduleName) : last;
            if (instance == null) {
                return "register: no instance (its module failed)";
            }
            store.register((String) c.get("as"), instance);
            return null;
        }

        private long[] perform(Map<?, ?> action) {
            Instance instance = action.get("module") instanceof String moduleName ? named.get(moduleName) : last;
            if (instance == null) {
                throw new IllegalStateException("no instance (its module failed)");
            }
            String field = (String) action.get("field");
            if ("get".equals(action.get("type"))) {
                GlobalInstance global = instance.exports().global(field);
                return new long[] {global.getValue()};
            }
            List<?> args = (List<?>) action.get("args");
            long[] values = new long[args.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = bits((Map<?, ?>) args.get(i));
            }
            return instance.exports().function(field).apply(values);
        }

        private String action(Map<?, ?> c) {
            try {
                perform((Map<?, ?>) c.get("action"));
                return null;
            } catch (RuntimeException | StackOverflowError e) {
                return "threw " + describe(e);
            }
        }

        private String assertReturn(Map<?, ?> c) {
            long[] results;
            try {
                results = perform((Map<?, ?>) c.get("action"));
            } catch (RuntimeException | StackOverflowError e) {
                return "threw " + describe(e);
            }
            List<?> expected = (List<?>) c.get("expected");
            int count = results == null ? 0 : results.length;
            if (count < expected.size()) {
                return "returned " + count + " values, expected " + expected.size();
            }
            for (int i = 0; i < expected.size(); i++) {
                String mismatch = compare((Map<?, ?>) expected.get(i), results[i]);
                if (mismatch != null) {
                    return "result " + i + ": " + mismatch;
                }
            }
            return null;
        }

        private String assertTrap(Map<?, ?> c) {
            String text = (String) c.get("text");
            try {
                perform((Map<?, ?>) c.get("action"));
            } catch (ChicoryException e) {
                return matches(e, text);
            } catch (StackOverflowError e) {
                return "threw " + describe(e) + ", expected a ChicoryException containing '" + text + "'";
            } catch (RuntimeException e) {
                return "threw " + describe(e) + ", expected a ChicoryException containing '" + text + "'";
            }
            return "returned normally, expected a trap containing '" + text + "'";
        }

        private String assertModuleFails(Map<?, ?> c, Class<? extends ChicoryException> expected) {
            String text = (String) c.get("text");
            if ("text".equals(c.get("module_type"))) {
                return SKIP + "module in text form (" + c.get("filename") + "): Chicory parses binaries only";
            }
            try {
                instantiate((String) c.get("filename"));
            } catch (RuntimeException | StackOverflowError e) {
                if (!expected.isInstance(e)) {
                    return "threw " + describe(e) + ", expected " + expected.getSimpleName() + " containing '"
                            + text + "'";
                }
                return matches(e, text);
            }
            return "instantiated, expected " + expected.getSimpleName() + " containing '" + text + "'";
        }
    }

    private static String matches(Throwable e, String text) {
        String message = e.getMessage();
        if (text == null || (message != null && message.contains(text))) {
            return null;
        }
        return "threw " + describe(e) + ", which does not contain '" + text + "'";
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    /** {@return a value's bits as Chicory passes them: i32 and f32 in the low 32 bits} */
    private static long bits(Map<?, ?> value) {
        String type = (String) value.get("type");
        String text = (String) value.get("value");
        return switch (type) {
            case "i32", "f32" -> Long.parseUnsignedLong(text) & 0xFFFF_FFFFL;
            case "i64", "f64" -> Long.parseUnsignedLong(text);
            default -> throw new IllegalArgumentException("value type " + type + " not supported by this runner");
        };
    }

    /** {@return null when {@code actual} is the expected value, else the difference} */
    private static String compare(Map<?, ?> expected, long actual) {
        String type = (String) expected.get("type");
        String text = (String) expected.get("value");
        switch (type) {
            case "i32" -> {
                int want = (int) Long.parseUnsignedLong(text);
                return (int) actual == want ? null : "i32 " + (int) actual + ", expected " + want;
            }
            case "i64" -> {
                long want = Long.parseUnsignedLong(text);
                return actual == want ? null : "i64 " + actual + ", expected " + want;
            }
            case "f32" -> {
                int got = (int) actual;
                if (text.startsWith("nan:")) {
                    boolean nan = (got & 0x7F80_0000) == 0x7F80_0000 && (got & 0x007F_FFFF) != 0;
                    boolean ok = text.equals("nan:canonical") ? (got & 0x7FFF_FFFF) == 0x7FC0_0000
                            : nan && (got & 0x0040_0000) != 0;
                    return ok ? null : "f32 bits 0x" + Integer.toHexString(got) + ", expected " + text;
                }
                int want = (int) Long.parseUnsignedLong(text);
                return got == want ? null
                        : "f32 bits 0x" + Integer.toHexString(got) + ", expected 0x" + Integer.toHexString(want);
            }
            case "f64" -> {
                if (text.startsWith("nan:")) {
                    boolean nan = (actual & 0x7FF0_0000_0000_0000L) == 0x7FF0_0000_0000_0000L
                            && (actual & 0x000F_FFFF_FFFF_FFFFL) != 0;
                    boolean ok = text.equals("nan:canonical")
                            ? (actual & 0x7FFF_FFFF_FFFF_FFFFL) == 0x7FF8_0000_0000_0000L
                            : nan && (actual & 0x0008_0000_0000_0000L) != 0;
                    return ok ? null : "f64 bits 0x" + Long.toHexString(actual) + ", expected " + text;
                }
                long want = Long.parseUnsignedLong(text);
                return actual == want ? null
                        : "f64 bits 0x" + Long.toHexString(actual) + ", expected 0x" + Long.toHexString(want);
            }
            default -> {
                return "value type " + type + " not supported by this runner";
            }
        }
    }

    /** The reference interpreter's {@code spectest} module, its memories from this runner's factory. */
    private ImportValues spectest() {
        WasmFunctionHandle noop = (instance, args) -> null;
        ImportValues.Builder b = ImportValues.builder();
        b.addFunction(new HostFunction("spectest", "print", FunctionType.empty(), noop));
        String[][] prints = {
            {"print_i32", "I32"}, {"print_i32_1", "I32"}, {"print_i32_2", "I32"}, {"print_f32", "F32"},
            {"print_i32_f32", "I32", "F32"}, {"print_i64", "I64"}, {"print_i64_1", "I64"}, {"print_i64_2", "I64"},
            {"print_f64", "F64"}, {"print_f64_f64", "F64", "F64"},
        };
        for (String[] p : prints) {
            List<ValType> params = new ArrayList<>();
            for (int i = 1; i < p.length; i++) {
                params.add(switch (p[i]) {
                    case "I32" -> ValType.I32;
                    case "I64" -> ValType.I64;
                    case "F32" -> ValType.F32;
                    default -> ValType.F64;
                });
            }
            b.addFunction(new HostFunction("spectest", p[0], FunctionType.of(params, List.of()), noop));
        }
        b.addGlobal(new ImportGlobal("spectest", "global_i32", new GlobalInstance(Value.i32(666))));
        b.addGlobal(new ImportGlobal("spectest", "global_i64", new GlobalInstance(Value.i64(666))));
        b.addGlobal(new ImportGlobal("spectest", "global_f32", new GlobalInstance(Value.fromFloat(666.6f))));
        b.addGlobal(new ImportGlobal("spectest", "global_f64", new GlobalInstance(Value.fromDouble(666.6))));
        b.addMemory(new ImportMemory("spectest", "memory", memories.apply(new MemoryLimits(1, 2))));
        b.addMemory(new ImportMemory("spectest", "shared_memory", memories.apply(new MemoryLimits(1, 2, true))));
        b.addTable(new ImportTable("spectest", "table",
                new TableInstance(new Table(ValType.FuncRef, new TableLimits(10, 20)), Value.REF_NULL_VALUE)));
        b.addTable(new ImportTable("env", "table",
                new TableInstance(new Table(ValType.FuncRef, new TableLimits(0)), Value.REF_NULL_VALUE)));
        return b.build();
    }
}
