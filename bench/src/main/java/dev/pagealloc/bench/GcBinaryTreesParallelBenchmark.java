package dev.pagealloc.bench;

import org.openjdk.jmh.annotations.Fork;

/** {@link GcBinaryTreesBenchmark} in JVMs running HotSpot's ParallelGC. */
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-Xms1g", "-Xmx1g"})
public class GcBinaryTreesParallelBenchmark extends GcBinaryTreesBenchmark {
}
