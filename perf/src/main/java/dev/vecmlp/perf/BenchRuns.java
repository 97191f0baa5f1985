package dev.vecmlp.perf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     */
    public record Run(String benchmark, Map<String, String> params, int jmhThreads, double score, double error,
                      String unit, int iterations, String iterationTime, String jdk) {
        /** A parameter, or {@code fallback} when the benchmark has none of that name. */
        public String param(String name, String fallback) {
            return params.getOrDefault(name, fallback);
        }
    }

    /**
     * Parses a JMH JSON result file.
     *
     * @throws IllegalArgumentException if it is not JSON, or not an array of JMH results
     */
    public static List<Run> parse(String json, String where) {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        if (!(root instanceof List<?> list)) {
            throw new IllegalArgumentException(where + ": expected a JSON array of JMH results, found " + kind(root));
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + ", result " + i;
            Map<?, ?> r = object(list.get(i), at);
            String benchmark = string(r, "benchmark", at);
            int dot = benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1);
            Map<String, String> params = new LinkedHashMap<>();
            if (r.get("params") != null) {
                for (Map.Entry<?, ?> e : object(r.get("params"), at + ", params").entrySet()) {
                    params.put(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
                }
            }
            Map<?, ?> primary = object(r.get("primaryMetric"), at + ", primaryMetric");
            runs.add(new Run(benchmark.substring(dot + 1), params, (int) number(r, "threads", at),
                    number(primary, "score", at + ", primaryMetric"), number(primary, "scoreError", at + ", primaryMetric"),
                    string(primary, "scoreUnit", at + ", primaryMetric"), (int) number(r, "measurementIterations", at),
                    string(r, "measurementTime", at), r.get("jdkVersion") == null ? "?" : String.valueOf(r.get("jdkVersion"))));
        }
        return runs;
    }

    /**
     * Joins the JMH result files of several runs (each a JSON array) into one array, as text, so
     * the file keeps JMH's own layout.
     */
    public static String join(List<String> arrays) {
        StringBuilder sb = new StringBuilder("[\n");
        boolean first = true;
        for (String a : arrays) {
            String body = a.strip();
            if (!body.startsWith("[") || !body.endsWith("]")) {
                throw new IllegalArgumentException("JMH results: expected a JSON array, found text starting '"
                        + body.substring(0, Math.min(20, body.length())) + "'");
            }
            body = body.substring(1, body.length() - 1).strip();
            if (body.isEmpty()) {
                continue;
            }
            if (!first) {
                sb.append(",\n");
            }
            sb.append("    ").append(body);
            first = false;
        }
        return sb.append("\n]\n").toString();
    }

    private static Map<?, ?> object(Object o, String at) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new IllegalArgumentException(at + ": expected a JSON object, found " + kind(o));
    }

    private static String string(Map<?, ?> m, String key, String at) {
        Object v = m.get(key);
        if (v instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException(at + ": expected a string '" + key + "', found " + kind(v));
    }

    private static double number(Map<?, ?> m, String key, String at) {
        Object v = m.get(key);
        if (v instanceof Double d) {
            return d;
        }
        if ("NaN".equals(v)) {
            return Double.NaN;
        }
        throw new IllegalArgumentException(at + ": expected a number '" + key + "', found " + kind(v));
    }

    private static String kind(Object o) {
        if (o == null) {
            return "nothing (or null)";
        }
        if (o instanceof Map) {
            return "an object";
        }
        if (o instanceof List) {
            return "an array";
        }
        return o instanceof String s ? "the string \"" + s + "\"" : "the value " + o;
    }
}
