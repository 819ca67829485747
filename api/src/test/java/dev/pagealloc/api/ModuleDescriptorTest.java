package dev.pagealloc.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The core names none of its plugins: adding a platform must not mean editing the API module. */
class ModuleDescriptorTest {

    @Test
    void shouldExportNothingToNamedModulesOnly() {
        ModuleDescriptor api = ModuleFinder.of(Path.of("target", "classes")).find("dev.pagealloc.api").orElseThrow()
                .descriptor();
        List<String> qualified = api.exports().stream().filter(ModuleDescriptor.Exports::isQualified)
                .map(ModuleDescriptor.Exports::toString).toList();
        assertEquals(List.of(), qualified);
    }
}
