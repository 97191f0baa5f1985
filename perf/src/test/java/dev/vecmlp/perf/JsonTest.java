package dev.vecmlp.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void readsEveryKindOfValue() {
        Object v = Json.parse(" { \"a\" : [1, -2.5e3, true, false, null, \"x\\\"y\\u00e9\\n\"], \"b\": {}, \"c\": [] } ");
        Map<?, ?> m = (Map<?, ?>) v;
        List<?> a = (List<?>) m.get("a");
        assertEquals(1.0, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertEquals(Boolean.FALSE, a.get(3));
        assertNull(a.get(4));
        assertEquals("x\"yé\n", a.get(5));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertTrue(Double.isNaN((Double) ((List<?>) Json.parse("[NaN]")).get(0)), "JMH's bare NaN");
    }

    @Test
    void badTextIsRejectedWithItsOffset() {
        String[][] cases = {
            {"[1, 2", "expected ']' at character 5"},
            {"{\"a\" 1}", "expected ':' at character 5"},
            {"[1] x", "expected the end of the text at character 4"},
            {"{1: 2}", "expected a member name in quotes at character 1"},
            {"\"abc", "expected a closing quote"},
            {"[tru]", "expected 'true' at character 1"},
            {"[\"\\q\"]", "expected an escape"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
