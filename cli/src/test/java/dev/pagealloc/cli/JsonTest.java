package dev.pagealloc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void shouldWriteNestedValuesInInsertionOrder() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("b", 1L);
        map.put("a", List.of(true, "x"));
        map.put("n", null);
        assertEquals("{\"b\":1,\"a\":[true,\"x\"],\"n\":null}", Json.write(map));
    }

    @Test
    void shouldEscapeQuotesBackslashesAndControlCharacters() {
        assertEquals("\"q\\\"b\\\\n\\nt\\tc\\u0001\"", Json.write("q\"b\\n\nt\tc\u0001"));
    }

    @Test
    void shouldWriteListsOfMaps() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("id", 0);
        assertEquals("[{\"id\":0},{\"id\":0}]", Json.write(Arrays.asList(inner, inner)));
    }
}
