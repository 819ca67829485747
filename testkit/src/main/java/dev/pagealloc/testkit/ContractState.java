package dev.pagealloc.testkit;

import dev.pagealloc.api.Region;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The per-test state of a {@link ContractSupport}: an interface holds no fields, so the regions a
 * test tracks live here, keyed by the test instance (JUnit makes one per test method) and dropped
 * after the test. Thread-safe: the concurrency tests track regions from their own threads.
 */
final class ContractState {
    private static final Map<ContractSupport, ContractState> BY_TEST =
            Collections.synchronizedMap(new IdentityHashMap<>());

    private final List<Region> tracked = new ArrayList<>();
    private final List<AddressRange> reservations = new ArrayList<>();
    private Set<String> writableExecutableBaseline = Set.of();

    private ContractState() {}

    static ContractState of(ContractSupport test) {
        return BY_TEST.computeIfAbsent(test, t -> new ContractState());
    }

    static void forget(ContractSupport test) {
        BY_TEST.remove(test);
    }

    synchronized void track(Region region) {
        tracked.add(region);
        reservations.add(AddressRange.reservationOf(region));
    }

    synchronized List<Region> trackedRegions() {
        return List.copyOf(tracked);
    }

    synchronized List<AddressRange> reservations() {
        return List.copyOf(reservations);
    }

    synchronized Set<String> writableExecutableBaseline() {
        return writableExecutableBaseline;
    }

    synchronized void writableExecutableBaseline(Set<String> lines) {
        writableExecutableBaseline = Set.copyOf(lines);
    }
}
