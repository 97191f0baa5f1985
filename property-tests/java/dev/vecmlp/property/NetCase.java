package dev.vecmlp.property;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import dev.vecmlp.kernel.Kernels;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Layer;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.Workspace;

/**
 * One concrete network problem: a spec, every parameter, a batch of inputs and its targets, all
 * explicit, so that a case is a value that can be compared, shrunk and printed as Java code.
 *
 * <p>{@code parameters} are in the order of {@link Model#parametersToArray()} (W0 row-major, b0,
 * W1, b1, ...); {@code inputs} is {@code batch x spec.inputs()} and {@code targets} is
 * {@code batch x spec.outputs()}, both row-major.
 *
 * <pre>{@code
 * NetCase c = new NetCase(Mlp.input(2).dense(2, Activation.LINEAR).loss(Loss.SQUARED_ERROR).build(), 1,
 *         new float[] {1f, 0f, 0f, 1f, 0f, 0f}, new float[] {3f, 4f}, new float[] {0f, 0f});
 * NetCase.Pass p = c.run(KernelProvider.scalar());   // p.loss() == 12.5
 * }</pre>
 */
public record NetCase(Mlp spec, int batch, float[] parameters, float[] inputs, float[] targets) {

    public NetCase {
        Objects.requireNonNull(spec, "spec");
        if (batch < 1) {
            throw new IllegalArgumentException("batch: expected at least 1 row, found " + batch);
        }
        check("parameters", parameters, spec.parameterCount());
        check("inputs", inputs, (long) batch * spec.inputs());
        check("targets", targets, (long) batch * spec.outputs());
    }

    private static void check(String what, float[] a, long expected) {
        Objects.requireNonNull(a, what);
        if (a.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " floats, found " + a.length);
        }
    }

    /** Number of layers. */
    public int depth() {
        return spec.depth();
    }

    /** Index in {@link #parameters()} of layer {@code l}'s weight {@code [row][col]}. */
    public int weightIndex(int l, int row, int col) {
        return layerStart(l) + row * spec.layer(l).inputs() + col;
    }

    /** Index in {@link #parameters()} of layer {@code l}'s bias {@code [unit]}. */
    public int biasIndex(int l, int unit) {
        Layer layer = spec.layer(l);
        return layerStart(l) + layer.outputs() * layer.inputs() + unit;
    }

    private int layerStart(int l) {
        int at = 0;
        for (int i = 0; i < l; i++) {
            Layer layer = spec.layer(i);
            at += layer.outputs() * (layer.inputs() + 1);
        }
        return at;
    }

    /** Whether parameter {@code index} is a weight (true) or a bias (false). */
    public boolean isWeight(int index) {
        int at = 0;
        for (Layer layer : spec.layers()) {
            int w = layer.outputs() * layer.inputs();
            if (index < at + w) {
                return true;
            }
            if (index < at + w + layer.outputs()) {
                return false;
            }
            at += w + layer.outputs();
        }
        throw new IndexOutOfBoundsException("parameter: expected 0 to " + (parameters.length - 1) + ", found " + index);
    }

    /** The same problem with other parameters. */
    public NetCase withParameters(float[] p) {
        return new NetCase(spec, batch, p, inputs, targets);
    }

    /** The same problem under another L2 coefficient. */
    public NetCase withL2(float lambda) {
        return new NetCase(spec.withL2(lambda), batch, parameters, inputs, targets);
    }

    /** A model with this case's spec and parameters on {@code kernels}; the caller closes it. */
    public Model model(Kernels kernels) {
        Model m = spec.init(0L, kernels);
        try {
            m.setParameters(parameters);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A training workspace of {@code model} holding this case's inputs and targets; the caller closes it. */
    public Workspace workspace(Model model) {
        Workspace ws = model.workspace(batch);
        try {
            ws.setInputs(inputs, batch);
            ws.setTargets(targets, batch);
            return ws;
        } catch (RuntimeException e) {
            ws.close();
            throw e;
        }
    }

    /**
     * The results of one forward and backward pass: the loss (batch mean plus L2 term), every
     * gradient in the order of {@link #parameters()}, the outputs ({@code batch x outputs}), and
     * per layer its pre-activation Z, activation H and error signal Z̄ ({@code batch x width}).
     */
    public record Pass(double loss, float[] gradients, float[] outputs, float[][] preActivations,
                       float[][] activations, float[][] errorSignals) {
    }

    /** One {@link Model#forwardBackward} on {@code kernels}. */
    public Pass run(Kernels kernels) {
        try (Model m = model(kernels); Workspace ws = workspace(m)) {
            double loss = m.forwardBackward(ws, batch);
            float[][] z = new float[depth()][], h = new float[depth()][], g = new float[depth()][];
            for (int l = 0; l < depth(); l++) {
                int size = batch * spec.layer(l).outputs();
                z[l] = new float[size];
                h[l] = new float[size];
                g[l] = new float[size];
                ws.preActivation(l).copyRowsTo(z[l], 0, batch);
                ws.activation(l).copyRowsTo(h[l], 0, batch);
                ws.errorSignal(l).copyRowsTo(g[l], 0, batch);
            }
            return new Pass(loss, m.gradientsToArray(), h[depth() - 1].clone(), z, h, g);
        }
    }

    /** One {@link Model#forward}: the loss only, gradients untouched. */
    public double loss(Kernels kernels) {
        try (Model m = model(kernels); Workspace ws = workspace(m)) {
            return m.forward(ws, batch);
        }
    }

    /**
     * ReLU units that are dead for this case (pre-activation at most 0 on every row) and the
     * parameters whose gradient they force to exactly 0: the unit's row of weights, its bias and
     * the next layer's column of weights from it.
     *
     * @param reluUnits     ReLU units in the network
     * @param dead          of them, dead ones
     * @param weights       all weights (biases not counted)
     * @param hiddenWeights of them, the ones hidden by a dead unit
     * @param hidden        per parameter (weights and biases, in the order of {@link #parameters()}),
     *                      whether a dead unit hides it
     */
    public record DeadUnits(int reluUnits, int dead, int weights, int hiddenWeights, boolean[] hidden) {
    }

    /** The dead ReLU units, given the pass's pre-activations. */
    public DeadUnits deadUnits(Pass pass) {
        boolean[] hidden = new boolean[parameters.length];
        int units = 0, dead = 0;
        for (int l = 0; l < depth(); l++) {
            Layer layer = spec.layer(l);
            if (layer.activation() != Activation.RELU) {
                continue;
            }
            int w = layer.outputs();
            units += w;
            for (int u = 0; u < w; u++) {
                boolean alive = false;
                for (int r = 0; r < batch && !alive; r++) {
                    alive = pass.preActivations()[l][r * w + u] > 0;
                }
                if (alive) {
                    continue;
                }
                dead++;
                for (int c = 0; c < layer.inputs(); c++) {
                    hidden[weightIndex(l, u, c)] = true;
                }
                hidden[biasIndex(l, u)] = true;
                if (l + 1 < depth()) {
                    for (int r = 0; r < spec.layer(l + 1).outputs(); r++) {
                        hidden[weightIndex(l + 1, r, u)] = true;
                    }
                }
            }
        }
        int weights = 0, count = 0;
        for (int i = 0; i < hidden.length; i++) {
            if (isWeight(i)) {
                weights++;
                count += hidden[i] ? 1 : 0;
            }
        }
        return new DeadUnits(units, dead, weights, count, hidden);
    }

    // -----------------------------------------------------------------------------------------
    // Structural edits, for shrinking

    /** The same parameters, inputs and targets, as far as they overlap, on another architecture. */
    NetCase reshape(int inputWidth, int[] widths, Activation[] activations, int[] oldLayer, Loss loss, float l2, int rows) {
        Mlp.Builder b = Mlp.input(inputWidth);
        for (int l = 0; l < widths.length; l++) {
            b.dense(widths[l], activations[l]);
        }
        Mlp next = b.loss(loss).l2(l2).build();
        float[] p = new float[Math.toIntExact(next.parameterCount())];
        int at = 0;
        for (int l = 0; l < widths.length; l++) {
            Layer layer = next.layer(l);
            int old = oldLayer[l];
            Layer was = spec.layer(old);
            for (int r = 0; r < layer.outputs(); r++) {
                for (int c = 0; c < layer.inputs(); c++) {
                    p[at++] = r < was.outputs() && c < was.inputs() ? parameters[weightIndex(old, r, c)] : 0f;
                }
            }
            for (int u = 0; u < layer.outputs(); u++) {
                p[at++] = u < was.outputs() ? parameters[biasIndex(old, u)] : 0f;
            }
        }
        return new NetCase(next, rows, p, columns(inputs, spec.inputs(), inputWidth, rows),
                columns(targets, spec.outputs(), next.outputs(), rows));
    }

    private static float[] columns(float[] a, int cols, int newCols, int rows) {
        float[] out = new float[rows * newCols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a, r * cols, out, r * newCols, Math.min(cols, newCols));
        }
        return out;
    }

    int[] widths() {
        return spec.layers().stream().mapToInt(Layer::outputs).toArray();
    }

    Activation[] activations() {
        return spec.layers().stream().map(Layer::activation).toArray(Activation[]::new);
    }

    int[] identityLayers() {
        int[] id = new int[depth()];
        Arrays.setAll(id, i -> i);
        return id;
    }

    /**
     * Layer {@code l} removed: the next layer takes over its inputs, or, when it is the last, the
     * layer before it becomes the output, with the targets cut or padded with zeros to its width.
     */
    NetCase dropLayer(int l) {
        int d = depth();
        int[] w = new int[d - 1], old = new int[d - 1];
        Activation[] a = new Activation[d - 1];
        for (int i = 0, j = 0; i < d; i++) {
            if (i != l) {
                w[j] = spec.layer(i).outputs();
                a[j] = spec.layer(i).activation();
                old[j++] = i;
            }
        }
        return reshape(spec.inputs(), w, a, old, spec.loss(), spec.l2(), batch);
    }

    /** Layer {@code l} cut to its first {@code width} units; {@code l == -1} cuts the input. */
    NetCase narrow(int l, int width) {
        int[] w = widths();
        int in = spec.inputs();
        if (l < 0) {
            in = width;
        } else {
            w[l] = width;
        }
        return reshape(in, w, activations(), identityLayers(), spec.loss(), spec.l2(), batch);
    }

    /** The first {@code rows} rows of the batch. */
    NetCase firstRows(int rows) {
        return reshape(spec.inputs(), widths(), activations(), identityLayers(), spec.loss(), spec.l2(), rows);
    }

    /** Layer {@code l} with another activation. */
    NetCase withActivation(int l, Activation f) {
        Activation[] a = activations();
        a[l] = f;
        return reshape(spec.inputs(), widths(), a, identityLayers(), spec.loss(), spec.l2(), batch);
    }

    /** The same network under another loss, with targets kept. */
    NetCase withLoss(Loss loss) {
        return reshape(spec.inputs(), widths(), activations(), identityLayers(), loss, spec.l2(), batch);
    }

    NetCase withInputs(float[] x) {
        return new NetCase(spec, batch, parameters, x, targets);
    }

    NetCase withTargets(float[] t) {
        return new NetCase(spec, batch, parameters, inputs, t);
    }

    // -----------------------------------------------------------------------------------------
    // Printing

    /**
     * This case as a Java expression that rebuilds it exactly ({@link Float#toString} prints the
     * shortest decimal that reads back as the same float), with the weight matrices row by row.
     */
    public String toJava() {
        StringBuilder sb = new StringBuilder();
        sb.append("new NetCase(\n        Mlp.input(").append(spec.inputs()).append(")\n");
        for (Layer layer : spec.layers()) {
            sb.append("                .dense(").append(layer.outputs()).append(", Activation.")
                    .append(layer.activation().name()).append(")\n");
        }
        sb.append("                .loss(Loss.").append(spec.loss().name()).append(")\n");
        if (spec.l2() != 0f) {
            sb.append("                .l2(").append(literal(spec.l2())).append(")\n");
        }
        sb.append("                .build(),\n");
        sb.append("        ").append(batch).append(",\n");
        sb.append("        new float[] {");
        List<String> rows = new ArrayList<>();
        int at = 0;
        for (int l = 0; l < depth(); l++) {
            Layer layer = spec.layer(l);
            for (int r = 0; r < layer.outputs(); r++) {
                rows.add(row(parameters, at, layer.inputs()) + (r == 0 ? " // W" + l : ""));
                at += layer.inputs();
            }
            rows.add(row(parameters, at, layer.outputs()) + " // b" + l);
            at += layer.outputs();
        }
        sb.append(block(rows)).append("},\n");
        sb.append("        new float[] {").append(block(rowsOf(inputs, spec.inputs()))).append("},\n");
        sb.append("        new float[] {").append(block(rowsOf(targets, spec.outputs()))).append("})");
        return sb.toString();
    }

    private List<String> rowsOf(float[] a, int cols) {
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            rows.add(row(a, r * cols, cols));
        }
        return rows;
    }

    private static String row(float[] a, int from, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ", ").append(literal(a[from + i]));
        }
        return sb.toString();
    }

    /** Each row on a line of its own, commas between rows placed before any trailing comment. */
    private static String block(List<String> rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            String r = rows.get(i);
            String comma = i + 1 < rows.size() ? "," : "";
            int comment = r.indexOf(" //");
            String line = comment < 0 ? r + comma : r.substring(0, comment) + comma + r.substring(comment);
            sb.append("\n                ").append(line);
        }
        return sb.append("\n        ").toString();
    }

    /** A float literal that reads back as exactly {@code v}. */
    static String literal(float v) {
        return Float.toString(v) + "f";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetCase c && c.spec.equals(spec) && c.batch == batch && Arrays.equals(c.parameters, parameters)
                && Arrays.equals(c.inputs, inputs) && Arrays.equals(c.targets, targets);
    }

    @Override
    public int hashCode() {
        return Objects.hash(spec, batch, Arrays.hashCode(parameters), Arrays.hashCode(inputs), Arrays.hashCode(targets));
    }

    @Override
    public String toString() {
        return spec + ", batch " + batch;
    }
}
