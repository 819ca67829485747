package dev.pagealloc.reliability.fuzz;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The fuzzers' child JVM: {@code FuzzMain TARGET SECONDS MAX_CHAINS SEEDS_FILE [REPLAY_SEED]}. Runs the
 * chain of every seed kept in the seeds file, then chains from fresh seeds until the time or the count is
 * spent. Before each chain it prints {@code SEED target seed}, so that a JVM crash names its seed (the last
 * such line); a failing chain prints {@code FAIL target seed=...} with its actions and the error. Ends with
 * {@code DONE target chains=N kept=K failures=F actions=A refusals=R nativeAccess=...} and exits 1 if any chain failed.
 * With {@code REPLAY_SEED} (hexadecimal) it runs that seed's chain only and prints {@code STEP n description}
 * before each action, so that a crash also names its step (the last such line).
 *
 * <p>Test hook: {@code -Dreliability.fuzz.crashAtStep=N} makes every chain of at least N actions crash the
 * JVM (SIGSEGV, a write to address 0) before its N-th action, so that a test can check a crash is caught and
 * reported; the write is restricted, so that child needs native access for the class path.
 *
 * <p>This class runs on the class path without native access, pagealloc on the module path with it,
 * under {@code --illegal-native-access=deny}: the attacking code is in a module without native access.
 */
public final class FuzzMain {
    /** The most actions in a chain. */
    static final int STEPS = 60;
    private static final int CRASH_AT_STEP = Integer.getInteger("reliability.fuzz.crashAtStep", 0);
    private static boolean tracing;

    private FuzzMain() {}

    /**
     * Runs the fuzzer.
     *
     * @param args target ({@code allocator}, {@code linear-memory}, {@code chicory-memory}, {@code manual-heap},
     *     {@code gc-heap} or {@code code-heap}), seconds, maximum chains, seeds file, and optionally a seed
     *     (hexadecimal) to replay alone with each step printed
     * @throws IOException if the seeds file cannot be read
     */
    public static void main(String[] args) throws IOException {
        String target = args[0];
        long deadline = System.nanoTime() + Long.parseLong(args[1]) * 1_000_000_000L;
        long maxChains = Long.parseLong(args[2]);
        List<Long> seeds = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[3]))) {
            String[] words = line.strip().split("\\s+");
            if (words.length == 2 && words[0].equals(target)) {
                seeds.add(Long.parseUnsignedLong(words[1], 16));
            }
        }
        if (args.length > 4) {
            seeds = List.of(Long.parseUnsignedLong(args[4], 16));
            maxChains = 0;
            tracing = true;
        }
        int kept = seeds.size();
        SecureRandom fresh = new SecureRandom();
        long chains = 0;
        long failures = 0;
        // At least one fresh chain whatever the time (a slow fuzzer's kept seeds may outlast a short run).
        while (chains < kept || chains == kept && maxChains > kept
                || chains < maxChains && System.nanoTime() < deadline) {
            long seed = chains < kept ? seeds.get((int) chains) : fresh.nextLong();
            chains++;
            System.out.println("SEED " + target + " " + Long.toHexString(seed));
            System.out.flush();
            String failure = switch (target) {
                case "allocator" -> run(AllocatorFuzz.State::new,
                        AllocatorFuzz.chain(new SplittableRandom(seed), STEPS),
                        FuzzMain::finish);
                case "linear-memory" -> run(LinearMemoryFuzz.State::new,
                        LinearMemoryFuzz.chain(new SplittableRandom(seed), STEPS), LinearMemoryFuzz.State::close);
                case "chicory-memory" -> run(ChicoryMemoryFuzz.State::new,
                        ChicoryMemoryFuzz.chain(new SplittableRandom(seed), STEPS), ChicoryMemoryFuzz.State::close);
                case "manual-heap" -> run(ManualHeapFuzz.State::new,
                        ManualHeapFuzz.chain(new SplittableRandom(seed), STEPS), ManualHeapFuzz.State::close);
                case "gc-heap" -> run(GcHeapFuzz.State::new,
                        GcHeapFuzz.chain(new SplittableRandom(seed), STEPS), GcHeapFuzz.State::close);
                case "code-heap" -> run(CodeHeapFuzz.State::new,
                        CodeHeapFuzz.chain(new SplittableRandom(seed), STEPS), CodeHeapFuzz.State::close);
                case "code-heap-refused" -> refusedWithoutNativeAccess();
                default -> throw new IllegalArgumentException("target: " + target);
            };
            if (failure != null) {
                failures++;
                System.out.println("FAIL " + target + " seed=" + Long.toHexString(seed) + "\n" + failure);
            }
        }
        System.out.println("DONE " + target + " chains=" + chains + " kept=" + kept + " failures=" + failures
                + " actions=" + Step.TALLY[0] + " refusals=" + Step.TALLY[1]
                + " nativeAccess=" + FuzzMain.class.getModule().isNativeAccessEnabled());
        System.exit(failures == 0 ? 0 : 1);
    }

    /** {@return null if building a code memory is refused for lack of native access, else why not} */
    private static String refusedWithoutNativeAccess() {
        try {
            dev.pagealloc.jit.JitMemory.builder().build().close();
            return "JitMemory.Builder.build() ran for a caller without native access";
        } catch (IllegalCallerException e) {
            Step.refused();
            Step.TALLY[0]++;
            return null;
        }
    }

    /** The test hook's crash: a write to address 0, which HotSpot reports as SIGSEGV and dies of. */
    @SuppressWarnings("restricted")
    private static void crash() {
        // SAFETY: deliberately unsafe, for the test that a crashing child is caught: reinterpret gives the
        // null address 8 bytes, and the write faults (nothing is mapped at page 0, vm.mmap_min_addr).
        MemorySegment.NULL.reinterpret(8).set(ValueLayout.JAVA_LONG, 0, 0);
    }

    private static void finish(AllocatorFuzz.State state) {
        AllocatorFuzz.checkFinal(state);
        state.close();
    }

    /** Runs {@code chain} on a fresh state, then {@code finish} on its state; {@return null or why it failed}. */
    private static <S> String run(Supplier<S> start, List<Step<S>> chain, Consumer<S> finish) {
        List<String> done = new ArrayList<>();
        try {
            S state = start.get();
            for (Step<S> step : chain) {
                done.add(step.description());
                if (tracing) {
                    System.out.println("STEP " + done.size() + " " + step.description());
                    System.out.flush();
                }
                if (done.size() == CRASH_AT_STEP) {
                    crash();
                }
                Step.TALLY[0]++;
                step.action().accept(state);
            }
            finish.accept(state);
            return null;
        } catch (RuntimeException | AssertionError e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            return "  " + String.join("\n  ", done) + "\n" + trace;
        }
    }
}
