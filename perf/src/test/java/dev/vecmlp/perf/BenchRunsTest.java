package dev.vecmlp.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Reading JMH's result files and joining them: the values, and the errors for what is not one. */
class BenchRunsTest {
    private static final String ONE = """
            [{"benchmark": "dev.vecmlp.perf.MlpBench.forward", "threads": 1, "jdkVersion": "25.0.3",
              "measurementIterations": 5, "measurementTime": "200 ms",
              "params": {"batch": "32", "net": "A"},
              "primaryMetric": {"score": 1.5e3, "scoreError": "NaN", "scoreUnit": "us/op"}}]
            """;

    @Test
    void aResultsFieldsAreRead() {
        BenchRuns.Run r = BenchRuns.parse(ONE, "x.json").getFirst();
        assertEquals("MlpBench.forward", r.benchmark());
        assertEquals(Map.of("batch", "32", "net", "A"), r.params());
        assertEquals(1, r.jmhThreads());
        assertEquals(1500, r.score(), 0.0);
        assertTrue(Double.isNaN(r.error()), "JMH writes the string \"NaN\" when it has too few iterations for an error");
        assertEquals("us/op", r.unit());
        assertEquals(5, r.iterations());
        assertEquals("200 ms", r.iterationTime());
        assertEquals("25.0.3", r.jdk());
        assertEquals("?", BenchRuns.parse(ONE.replace("\"jdkVersion\": \"25.0.3\",", ""), "x.json").getFirst().jdk());
    }

    /** {@link #ONE} with JMH's rawData: one array per fork of its measured iterations' scores. */
    private static String withRawData(String rawData) {
        return ONE.replace("\"scoreUnit\": \"us/op\"", "\"scoreUnit\": \"us/op\", \"rawData\": " + rawData);
    }

    @Test
    void eachForksMeanComesFromItsIterationsInTheOrderTheyRan() {
        BenchRuns.Run r = BenchRuns.parse(withRawData("[[100, 110, 120], [300.5, 299.5], [1e2]]"), "x.json").getFirst();
        assertEquals(List.of(110.0, 300.0, 100.0), r.forkMeans());
        assertEquals(3, r.forks());
        assertEquals(List.of(), BenchRuns.parse(ONE, "x.json").getFirst().forkMeans(), "a file without rawData");
        assertEquals(List.of(), BenchRuns.parse(withRawData("null"), "x.json").getFirst().forkMeans());
        assertEquals(List.of(), BenchRuns.parse(withRawData("[]"), "x.json").getFirst().forkMeans(), "no forks");
    }

    @Test
    void theBytesPerCallOfEachForkComeFromTheGcProfilersRawData() {
        String profiled = ONE.replace("\"primaryMetric\"", "\"secondaryMetrics\": {\"gc.alloc.rate.norm\": {\"score\": 8.0,"
                + " \"scoreUnit\": \"B/op\", \"rawData\": [[0, 2], [24600, 24598]]}}, \"primaryMetric\"");
        assertEquals(List.of(1.0, 24599.0), BenchRuns.parse(profiled, "x.json").getFirst().forkBytes());
        assertEquals(List.of(), BenchRuns.parse(ONE, "x.json").getFirst().forkBytes(), "not profiled");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchRuns.parse(
                profiled.replace("[[0, 2], [24600, 24598]]", "[[0, \"x\"]]"), "x.json"));
        assertEquals("x.json, result 0, secondaryMetrics, gc.alloc.rate.norm, rawData, fork 1, iteration 2: expected a number,"
                + " found the string \"x\"", e.getMessage());
    }

    @Test
    void malformedRawDataIsRejectedNamingTheForkAndIteration() {
        String at = "x.json, result 0, primaryMetric, rawData";
        String[][] cases = {
            {"{\"1\": [1]}", at + ": expected an array of forks (each an array of iteration scores), found an object"},
            {"[1, 2]", at + ", fork 1: expected an array of iteration scores, found the value 1"},
            {"\"NaN\"", at + ": expected an array of forks (each an array of iteration scores), found the string \"NaN\""},
            {"[[1, 2], 3]", at + ", fork 2: expected an array of iteration scores, found the value 3"},
            {"[[1], []]", at + ", fork 2: expected an array of iteration scores, found an empty array"},
            {"[[1, 2], [3, null]]", at + ", fork 2, iteration 2: expected a number, found nothing (or null)"},
            {"[[\"1.5\"]]", at + ", fork 1, iteration 1: expected a number, found the string \"1.5\""},
            {"[[\"NaN\", 2]]", at + ", fork 1, iteration 1: expected a number, found the string \"NaN\""},
            {"[[1e999]]", at + ", fork 1, iteration 1: expected a number, found the value"},
            {"[[[1]]]", at + ", fork 1, iteration 1: expected a number, found an array"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> BenchRuns.parse(withRawData(c[0]), "x.json"), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), c[0] + ": " + e.getMessage());
        }
    }

    @Test
    void joinedFilesAreOneArrayOfTheirResults() {
        String joined = BenchRuns.join(List.of(ONE, " [] ", ONE.replace("forward", "forwardBackward")));
        List<BenchRuns.Run> runs = BenchRuns.parse(joined, "joined");
        assertEquals(List.of("MlpBench.forward", "MlpBench.forwardBackward"), runs.stream().map(BenchRuns.Run::benchmark).toList());
        assertEquals(List.of(), BenchRuns.parse(BenchRuns.join(List.of()), "none"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchRuns.join(List.of(ONE, "{}")));
        assertEquals("JMH results: expected a JSON array, found an object", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchRuns.join(List.of("[1,")));
        assertTrue(e.getMessage().startsWith("JMH results: not JSON at line 1, column 4"), e.getMessage());
    }

    @Test
    void aSavedRunReadsTheSameAfterAJoin() throws IOException {
        // Tests run in perf/; the reference run behind bench.md, as JMH wrote it.
        String saved = Files.readString(Path.of("results", "bench.json"), StandardCharsets.UTF_8);
        List<BenchRuns.Run> runs = BenchRuns.parse(saved, "bench.json");
        assertTrue(runs.size() > 300, "the full grid's results: " + runs.size());
        assertTrue(runs.stream().allMatch(r -> r.forks() == 1 || r.forks() == 5), "the grid in one fork, the spread in 5");
        assertTrue(runs.stream().anyMatch(r -> r.benchmark().equals("MlpBench.pair")
                && r.secondary().get("forwardMicros").size() == r.iterations()), "a cell's split, an iteration each");
        assertEquals(runs, BenchRuns.parse(BenchRuns.join(List.of(saved)), "joined"));
    }

    @Test
    void badFilesAreRejectedNamingWhatWhereAndWhatWasFound() {
        String[][] cases = {
            {"{}", "x.json: expected a JSON array of JMH results, found an object"},
            {"", "x.json: expected a JSON array of JMH results, found nothing (or null)"},
            {"[{\"benchmark\": 3}]", "x.json, result 0: expected a string 'benchmark', found the value 3"},
            {"[[]]", "x.json, result 0: expected a JSON object, found an array"},
            {ONE.replace("{\"batch\": \"32\", \"net\": \"A\"}", "[\"32\"]"), "x.json, result 0, params: expected a JSON object, found an array"},
            {ONE.replace("1.5e3", "\"fast\""), "x.json, result 0, primaryMetric: expected a number 'score', found the string \"fast\""},
            {ONE.replace("\"threads\": 1,", ""), "x.json, result 0: expected a number 'threads', found nothing (or null)"},
            {ONE.replace("\"primaryMetric\"", "\"primary\""), "x.json, result 0, primaryMetric: expected a JSON object, found nothing (or null)"},
            // Not JSON: the line and column where it stops being JSON, and what Jackson expected there.
            {"[1,", "x.json: not JSON at line 1, column 4: Unexpected end-of-input within/between Array entries"},
            {"[1, 2", "x.json: not JSON at line 1, column 6: Unexpected end-of-input: expected close marker for Array"},
            {"[\n{\"a\" 1}]", "x.json: not JSON at line 2, column 6: Unexpected character ('1' (code 49)): was expecting a colon"},
            {"[1] x", "x.json: not JSON at line 1, column 5: Unrecognized token 'x'"},
            {"{1: 2}", "x.json: not JSON at line 1, column 2: Unexpected character ('1' (code 49)): was expecting double-quote"},
            {"[\"abc", "x.json: not JSON at line 1, column 6: Unexpected end-of-input: was expecting closing quote"},
            {"[tru]", "x.json: not JSON at line 1, column 2: Unrecognized token 'tru'"},
            {"[\"\\q\"]", "x.json: not JSON at line 1, column 4: Unrecognized character escape 'q'"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchRuns.parse(c[0], "x.json"), c[0]);
            assertTrue(e.getMessage().startsWith(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
