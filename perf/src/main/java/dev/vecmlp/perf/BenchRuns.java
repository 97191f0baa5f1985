package dev.vecmlp.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/**
 * The results of a JMH result file (JSON), one {@link Run} per benchmark and parameter set, as
 * the report needs them.
 */
public final class BenchRuns {
    private BenchRuns() {
    }

    /**
     * One JMH result.
     *
     * @param benchmark  class and method, e.g. {@code MlpBench.forward}
     * @param params     the JMH parameters
     * @param jmhThreads JMH's own thread count (the {@code -t} option; MlpBench's pool is a parameter)
     * @param score      the primary score, in {@code unit}
     * @param error      its 99.9 % half-width (NaN when JMH had too few iterations)
     * @param unit       e.g. {@code us/op}
     * @param iterations measurement iterations
     * @param iterationTime measurement iteration time as JMH writes it, e.g. {@code 200 ms}
     * @param forkMeans  per fork (fresh JVM), in the order they ran, the mean of its measured
     *                   iterations in {@code unit}: from JMH's {@code rawData}; empty when the
     *                   file has none (results written before it was read)
     * @param forkBytes  per fork, the bytes allocated per operation (JMH's gc profiler,
     *                   {@code gc.alloc.rate.norm}); empty when the run was not profiled
     * @param secondary  per secondary metric of an {@code AuxCounters} state ({@link MlpBench#pair}'s
     *                   {@code forwardMicros} and {@code bothMicros}, {@link CalibrationBench}'s ops),
     *                   its measured iterations' values, all forks in turn (JMH adds an
     *                   iteration's value up over its threads); the gc profiler's are not here
     *                   (see {@code forkBytes})
     */
    public record Run(String benchmark, Map<String, String> params, int jmhThreads, double score, double error,
                      String unit, int iterations, String iterationTime, String jdk, List<Double> forkMeans,
                      List<Double> forkBytes, Map<String, List<Double>> secondary) {
        public Run {
            forkMeans = List.copyOf(forkMeans);
            forkBytes = List.copyOf(forkBytes);
            secondary = Map.copyOf(secondary);
        }

        /** A parameter, or {@code fallback} when the benchmark has none of that name. */
        public String param(String name, String fallback) {
            return params.getOrDefault(name, fallback);
        }

        /** Forks the result has means of: 0 for a file without {@code rawData}. */
        public int forks() {
            return forkMeans.size();
        }
    }

    /** JMH's gc profiler's figure of bytes allocated per operation. */
    static final String ALLOCATION = "gc.alloc.rate.norm";
    /** {@link MlpBench#pair}'s secondary metrics. */
    static final List<String> SPLIT = List.of("forwardMicros", "bothMicros");

    /** Jackson's defaults: strict JSON, and nothing after the top-level value. */
    private static final JsonMapper JSON = JsonMapper.shared();

    /**
     * Parses a JMH JSON result file.
     *
     * @throws IllegalArgumentException if it is not JSON, or not an array of JMH results
     */
    public static List<Run> parse(String json, String where) {
        JsonNode root = read(json, where);
        if (!root.isArray()) {
            throw new IllegalArgumentException(where + ": expected a JSON array of JMH results, found " + kind(root));
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            String at = where + ", result " + i;
            JsonNode r = object(root.get(i), at);
            String benchmark = string(r, "benchmark", at);
            int dot = benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1);
            Map<String, String> params = new LinkedHashMap<>();
            if (present(r.get("params"))) {
                object(r.get("params"), at + ", params").forEachEntry((k, v) -> params.put(k, v.asString()));
            }
            String metric = at + ", primaryMetric";
            JsonNode primary = object(r.get("primaryMetric"), metric);
            Map<String, List<Double>> secondary = new LinkedHashMap<>();
            JsonNode metrics = r.path("secondaryMetrics");
            if (metrics.isObject()) {
                metrics.forEachEntry((name, m) -> {
                    JsonNode raw = m.get("rawData");
                    if (!name.startsWith("gc.") && present(raw)) {
                        secondary.put(name, iterations(raw, at + ", secondaryMetrics, " + name + ", rawData"));
                    }
                });
            }
            runs.add(new Run(benchmark.substring(dot + 1), params, (int) number(r, "threads", at),
                    number(primary, "score", metric), number(primary, "scoreError", metric),
                    string(primary, "scoreUnit", metric), (int) number(r, "measurementIterations", at),
                    string(r, "measurementTime", at), r.path("jdkVersion").asString("?"),
                    forkMeans(primary.get("rawData"), metric + ", rawData"),
                    forkMeans(r.path("secondaryMetrics").path(ALLOCATION).get("rawData"),
                            at + ", secondaryMetrics, " + ALLOCATION + ", rawData"), secondary));
        }
        return runs;
    }

    /**
     * The mean of each fork's iterations from JMH's {@code rawData} (an array per fork of its
     * measured iterations' scores), or an empty list when there is none.
     *
     * @throws IllegalArgumentException naming the fork and iteration that is not a number, or
     *                                  a fork that is not an array or has no iterations
     */
    private static List<Double> forkMeans(JsonNode rawData, String at) {
        if (!present(rawData)) {
            return List.of();
        }
        List<Double> means = new ArrayList<>();
        for (List<Double> fork : forks(rawData, at)) {
            means.add(fork.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
        }
        return means;
    }

    /** Every measured iteration's score of every fork, the forks in turn. */
    private static List<Double> iterations(JsonNode rawData, String at) {
        List<Double> all = new ArrayList<>();
        forks(rawData, at).forEach(all::addAll);
        return all;
    }

    /**
     * JMH's {@code rawData}: per fork, its measured iterations' scores.
     *
     * @throws IllegalArgumentException naming the fork and iteration that is not a number, or
     *                                  a fork that is not an array or has no iterations
     */
    private static List<List<Double>> forks(JsonNode rawData, String at) {
        if (!rawData.isArray()) {
            throw new IllegalArgumentException(at + ": expected an array of forks (each an array of iteration scores),"
                    + " found " + kind(rawData));
        }
        List<List<Double>> forks = new ArrayList<>();
        for (int f = 0; f < rawData.size(); f++) {
            String fork = at + ", fork " + (f + 1);
            JsonNode iterations = rawData.get(f);
            if (!iterations.isArray() || iterations.isEmpty()) {
                throw new IllegalArgumentException(fork + ": expected an array of iteration scores, found "
                        + (iterations.isArray() ? "an empty array" : kind(iterations)));
            }
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < iterations.size(); i++) {
                JsonNode v = iterations.get(i);
                if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                    throw new IllegalArgumentException(fork + ", iteration " + (i + 1) + ": expected a number, found "
                            + kind(v));
                }
                values.add(v.doubleValue());
            }
            forks.add(values);
        }
        return forks;
    }

    /**
     * Joins the JMH result files of several runs (each a JSON array) into one JSON array of all
     * their results, as indented text: Jackson's layout rather than JMH's, the same values.
     *
     * @throws IllegalArgumentException if one is not JSON or not an array
     */
    public static String join(List<String> arrays) {
        ArrayNode all = JSON.createArrayNode();
        for (String a : arrays) {
            JsonNode part = read(a, "JMH results");
            if (!part.isArray()) {
                throw new IllegalArgumentException("JMH results: expected a JSON array, found " + kind(part));
            }
            all.addAll((ArrayNode) part);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n";
    }

    /** The JSON value of {@code text}, or an error naming {@code where}, the line and the column. */
    private static JsonNode read(String text, String where) {
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            TokenStreamLocation l = e.getLocation();
            // Jackson's own words, without its aside on where an unclosed array or object began.
            String what = e.getOriginalMessage().replaceFirst(" \\(start marker at .*", "");
            throw new IllegalArgumentException(where + ": not JSON" + (l == null || l.getLineNr() < 1 ? ""
                    : " at line " + l.getLineNr() + ", column " + l.getColumnNr()) + ": " + what, e);
        }
    }

    private static boolean present(JsonNode n) {
        return n != null && !n.isMissingNode() && !n.isNull();
    }

    private static JsonNode object(JsonNode n, String at) {
        if (n != null && n.isObject()) {
            return n;
        }
        throw new IllegalArgumentException(at + ": expected a JSON object, found " + kind(n));
    }

    private static String string(JsonNode m, String key, String at) {
        JsonNode v = m.get(key);
        if (v != null && v.isString()) {
            return v.stringValue();
        }
        throw new IllegalArgumentException(at + ": expected a string '" + key + "', found " + kind(v));
    }

    /** A number, or JMH's string {@code "NaN"} (its score error when there were too few iterations). */
    private static double number(JsonNode m, String key, String at) {
        JsonNode v = m.get(key);
        if (v != null && v.isNumber()) {
            return v.doubleValue();
        }
        if (v != null && v.isString() && "NaN".equals(v.stringValue())) {
            return Double.NaN;
        }
        throw new IllegalArgumentException(at + ": expected a number '" + key + "', found " + kind(v));
    }

    private static String kind(JsonNode n) {
        if (!present(n)) {
            return "nothing (or null)";
        }
        if (n.isObject()) {
            return "an object";
        }
        if (n.isArray()) {
            return "an array";
        }
        return n.isString() ? "the string \"" + n.stringValue() + "\"" : "the value " + n;
    }
}
