package dev.vecmlp.perf;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Mlp;

/**
 * The grid's cells in PyTorch, for {@code ./vecmlp bench --peer pytorch}: runs
 * {@code interop/pytorch/bench_ratio.py} with Debian's PyTorch as the shared recipe runs it
 * (OpenMP OpenBLAS, its malloc settings), one process for all cells, and reads back each cell's
 * forward and forward+backward times, timed in turn there as {@code MlpBench.pair} times ours.
 * The script's output is kept as {@code NAME-pytorch.json} beside the grid's own results, so
 * that {@code --from-json} makes the same report again.
 */
public final class PyTorchPeer {
    /** The interpreter the interop scripts run with: Debian's, where python3-torch installs. */
    static final String PYTHON = "/usr/bin/python3";
    /** The environment of the shared recipe (run-torch-recipe.sh): OpenMP OpenBLAS and a tuned malloc. */
    static final Map<String, String> ENVIRONMENT = Map.of(
            "LD_LIBRARY_PATH", "/usr/lib/x86_64-linux-gnu/openblas-openmp",
            "MALLOC_MMAP_THRESHOLD_", "33554432", "MALLOC_TRIM_THRESHOLD_", "4294967296", "MALLOC_TOP_PAD_", "67108864");

    /** One cell in PyTorch: the medians over its iterations of µs per call. */
    public record Cell(String net, int batch, int threads, double forward, double both, int iterations) {
        public double backward() {
            return both - forward;
        }

        public double ratio() {
            return backward() / forward;
        }
    }

    /** What ran (PyTorch's version, its threads' library, its BLAS) and the cells. */
    public record Run(String torch, String parallel, String blas, List<Cell> cells) {
        /** The cell of {@code net} at {@code batch} and {@code threads}, or null. */
        public Cell cell(String net, int batch, int threads) {
            for (Cell c : cells) {
                if (c.net().equals(net) && c.batch() == batch && c.threads() == threads) {
                    return c;
                }
            }
            return null;
        }
    }

    private PyTorchPeer() {
    }

    /** The file the peer's results are kept in beside the grid's {@code NAME.json}: {@code NAME-pytorch.json}. */
    public static Path file(Path json) {
        String n = json.getFileName().toString();
        return json.resolveSibling((n.endsWith(".json") ? n.substring(0, n.length() - 5) : n) + "-pytorch.json");
    }

    /** A cell as the script's input line: NAME BATCH THREADS INPUTS LAYERS LOSS. */
    static String line(String net, int batch, int threads) {
        Mlp spec = Networks.byName(net);
        StringJoiner layers = new StringJoiner(",");
        for (int l = 0; l < spec.depth(); l++) {
            Layer layer = spec.layer(l);
            layers.add(layer.outputs() + ":" + layer.activation().name().toLowerCase(Locale.ROOT));
        }
        return net + " " + batch + " " + threads + " " + spec.inputs() + " " + layers + " "
                + spec.loss().name().toLowerCase(Locale.ROOT);
    }

    /**
     * Runs {@code cells} (each {@code {net, batch, threads}} as text) in PyTorch with the script
     * under {@code home} and writes what it printed, as a JSON array, to {@code out}.
     *
     * @throws IllegalArgumentException if PyTorch is not there to run, or the script failed
     */
    public static Run run(List<String[]> cells, Path home, Path out) throws IOException {
        Path script = home.resolve("interop/pytorch/bench_ratio.py");
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("--peer pytorch: expected the script " + script + ", found no file there");
        }
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new IllegalArgumentException("--peer pytorch: expected Debian's " + PYTHON + " with python3-torch (apt-get"
                    + " install python3-torch libopenblas0-openmp), found no " + PYTHON);
        }
        ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(ENVIRONMENT);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            StringBuilder lines = new StringBuilder();
            for (String[] c : cells) {
                lines.append(line(c[0], Integer.parseInt(c[1]), Integer.parseInt(c[2]))).append('\n');
            }
            in.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        }
        List<String> printed = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                printed.add(l);
                if (printed.size() > 1) {
                    System.out.printf("vecmlp bench: PyTorch, %d of %d cells%n", printed.size() - 1, cells.size());
                }
            }
        }
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("--peer pytorch: interrupted while PyTorch ran", e);
        }
        if (code != 0) {
            boolean noTorch = code == 1 && printed.isEmpty();
            throw new IllegalArgumentException("--peer pytorch: expected " + script.getFileName() + " to time " + cells.size()
                    + " cells, found exit code " + code + " after " + Math.max(0, printed.size() - 1) + " of them (its"
                    + " errors are above)" + (noTorch ? "; is python3-torch installed (apt-get install python3-torch"
                    + " libopenblas0-openmp)?" : ""));
        }
        String json = "[" + String.join(",\n", printed) + "]\n";
        Files.writeString(out, json, StandardCharsets.UTF_8);
        return parse(json, out.toString());
    }

    /** Reads a file {@link #run} wrote. */
    public static Run read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * The run in {@code json} (the script's lines as a JSON array: its header, then a cell a
     * line), read from {@code where}.
     *
     * @throws IllegalArgumentException naming the file and what was expected where it is not
     */
    static Run parse(String json, String where) {
        JsonNode root;
        try {
            root = JsonMapper.shared().readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(where + ": expected the JSON array bench_ratio.py printed, found malformed"
                    + " JSON: " + e.getOriginalMessage());
        }
        if (!(root instanceof ArrayNode array) || array.isEmpty() || !array.get(0).has("torch")) {
            throw new IllegalArgumentException(where + ": expected a JSON array whose first element names PyTorch"
                    + " (\"torch\"), found " + (root instanceof ArrayNode a && !a.isEmpty() ? "a first element without it"
                    : root.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        JsonNode head = array.get(0);
        List<Cell> cells = new ArrayList<>();
        for (int i = 1; i < array.size(); i++) {
            JsonNode c = array.get(i);
            String at = where + ", element " + i;
            List<Double> f = times(c, "forward", at), b = times(c, "both", at);
            if (!c.path("net").isString() || !c.path("batch").isInt() || !c.path("threads").isInt()) {
                throw new IllegalArgumentException(at + ": expected \"net\" (text), \"batch\" and \"threads\" (whole numbers),"
                        + " found " + c);
            }
            cells.add(new Cell(c.get("net").asString(), c.get("batch").asInt(), c.get("threads").asInt(),
                    BenchTables.median(f), BenchTables.median(b), f.size()));
        }
        return new Run(head.path("torch").asString(), head.path("parallel").asString(""), head.path("blas").asString(""),
                List.copyOf(cells));
    }

    private static List<Double> times(JsonNode c, String field, String at) {
        JsonNode a = c.get(field);
        if (a == null || !a.isArray() || a.isEmpty()) {
            throw new IllegalArgumentException(at + ": expected \"" + field + "\", a non-empty array of µs per call, found "
                    + (a == null ? "none" : a));
        }
        List<Double> v = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).isNumber() || !(a.get(i).asDouble() > 0)) {
                throw new IllegalArgumentException(at + ": expected \"" + field + "\" times above 0 µs, found " + a.get(i));
            }
            v.add(a.get(i).asDouble());
        }
        return v;
    }
}
