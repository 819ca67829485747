package dev.pagealloc.bench;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * Measured samples by key, reduced to medians. A JMH key is the benchmark's simple name with its
 * parameters, {@code GrowBenchmark.ours[regionBytes=1GiB]}; a C baseline key is {@code c:} and the
 * operation, {@code c:grow_1GiB}. Samples are ns/op: one per JMH measurement iteration (all forks
 * together) or per C repetition.
 *
 * <p>Not thread-safe.
 */
final class Results {
    private final Map<String, double[]> samples = new TreeMap<>();

    /**
     * Records the samples of {@code key}, replacing earlier ones.
     *
     * @param key the benchmark key
     * @param nanosPerOperation the samples, in ns/op; at least one
     * @return this
     */
    Results put(String key, double... nanosPerOperation) {
        if (nanosPerOperation.length == 0) {
            throw new IllegalArgumentException("put(key=" + key + "): no samples");
        }
        samples.put(key, nanosPerOperation.clone());
        return this;
    }

    /** {@return the median of {@code key}'s samples, in ns/op, or empty if it was not measured} */
    OptionalDouble median(String key) {
        double[] values = samples.get(key);
        return values == null ? OptionalDouble.empty() : OptionalDouble.of(median(values));
    }

    /** {@return every key with its samples, sorted by key} */
    Map<String, double[]> samples() {
        return Collections.unmodifiableMap(samples);
    }

    /**
     * {@return the median of {@code values}}: the middle one, or the mean of the two middle ones
     *
     * @param values at least one value
     */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /**
     * {@return the JMH key of a benchmark}
     *
     * @param benchmarkClass the benchmark's class
     * @param method the benchmark method
     * @param params the parameters as {@code name=value}, in declaration order; may be empty
     */
    static String key(Class<?> benchmarkClass, String method, String... params) {
        String key = benchmarkClass.getSimpleName() + "." + method;
        return params.length == 0 ? key : key + "[" + String.join(",", params) + "]";
    }

    /** {@return the key of C baseline operation {@code operation}} */
    static String cKey(String operation) {
        return "c:" + operation;
    }
}
