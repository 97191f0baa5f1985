package dev.vecmlp.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.NetworkText;
import dev.vecmlp.plot.Charts;
import dev.vecmlp.plot.LineChart;
import dev.vecmlp.plot.Style;
import dev.vecmlp.train.CheckpointFile;
import dev.vecmlp.train.EpochStats;
import dev.vecmlp.train.Evaluation;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Schedule;
import dev.vecmlp.train.Trainer;
import dev.vecmlp.train.TrainingDivergedException;
import dev.vecmlp.train.TrainingHistory;
import dev.vecmlp.train.TrainingListener;
import dev.vecmlp.train.TrainingState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vecmlp train}: trains an MLP and writes it to a model file. Without arguments it trains
 * network A (784-512-512-10, ReLU, softmax cross-entropy) on the bundled MNIST subset with the
 * recipe PyTorch is timed with (SGD, lr 0.05, momentum 0.9, weight decay 1e-4, batch 64, 20
 * epochs) and prints the test accuracy on its last line.
 *
 * <p>{@code --checkpoint FILE} writes a {@link CheckpointFile} after every epoch, with the options
 * that define the run ({@link #RUN_OPTIONS}) in its metadata as {@code train.<option>}.
 * {@code --resume FILE} takes those options from the checkpoint, so that the command alone
 * continues the run; an option given again must have the checkpoint's value. The model file and
 * the last line are then the same bits as those of the run that was never stopped.
 */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Train an MLP and write it to a model file (safetensors).",
                "",
                "With no options: network A (784-512:relu-512:relu-10, softmax",
                "cross-entropy) on the bundled 10,000-digit MNIST subset, SGD with",
                "momentum 0.9, lr 0.05, weight decay 1e-4, batch 64, 20 epochs. The last",
                "line is the test accuracy."})
public final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "PATH",
            description = "An IDX directory (MNIST file names; t10k-* is the test split) or a CSV file (default: the bundled MNIST subset).")
    Path data;

    @Option(names = "--test", paramLabel = "CSV", description = "Test set for a CSV --data (an IDX directory brings its own t10k split).")
    Path test;

    @Option(names = "--label", paramLabel = "COLUMN", description = "CSV label column: a header name or a 0-based index (default: the last column).")
    String label;

    @Option(names = "--regression", description = "CSV: the label column is a number to predict (squared error), not a class.")
    boolean regression;

    @Option(names = "--allow-sparse-labels",
            description = "Train even when most classes (0 to the largest label) have no example; without it such labels are refused as a likely typo.")
    boolean allowSparseLabels;

    @Option(names = "--scaling", paramLabel = "KIND", description = "none, divide (by 255) or standardize (default: divide for IDX, standardize for CSV).")
    String scaling;

    @Option(names = "--layers", paramLabel = "LIST", defaultValue = "512:relu,512:relu",
            description = "Hidden layers as WIDTH:ACTIVATION,... (activations: linear relu softplus threshold logistic tanh; default: ${DEFAULT-VALUE}).")
    String layers;

    @Option(names = "--output-activation", paramLabel = "ACT", defaultValue = "linear",
            description = "Activation of the output layer (default: ${DEFAULT-VALUE}).")
    String outputActivation;

    @Option(names = "--loss", paramLabel = "LOSS", description = "softmax (cross-entropy) or squared (error) (default: softmax for classes, squared for --regression).")
    String loss;

    @Option(names = "--l2", paramLabel = "LAMBDA", defaultValue = "0",
            description = "The lecture's L2 penalty lambda/2 * |W|^2 on the weights, part of the loss (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "momentum",
            description = "sgd, momentum, nesterov or adam (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate (default: 0.05, or 0.001 for adam).")
    Double lr;

    @Option(names = "--momentum", paramLabel = "MU", defaultValue = "0.9", description = "Momentum of momentum and nesterov (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--weight-decay", paramLabel = "LAMBDA", defaultValue = "1e-4",
            description = "Weight decay added to every gradient, as PyTorch's optimizers do (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--schedule", paramLabel = "SCHEDULE", defaultValue = "constant",
            description = "Learning-rate schedule: constant, step:EPOCHS:GAMMA or cosine[:FLOOR] (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "64", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "20", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of the weights, the shuffles and the validation split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: the available cores, at most the shards).")
    Integer threads;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "2",
            description = "Shards per batch; the same shards give the same weights on any number of threads (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--validation", paramLabel = "FRACTION", defaultValue = "0",
            description = "Share of the training set held out to validate after each epoch (default: ${DEFAULT-VALUE}).")
    double validation;

    @Option(names = "--patience", paramLabel = "EPOCHS", defaultValue = "0",
            description = "Stop when the validation loss has not improved for this many epochs, keeping the best weights; 0 = never (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "model.safetensors",
            description = "Model file to write (default: ${DEFAULT-VALUE}). An existing file is replaced only if it is a vecmlp model, or with --force.")
    Path output;

    @Option(names = "--force", description = "Replace --output and --checkpoint even if they are not vecmlp model files, and --plot even if it is not a PNG.")
    boolean force;

    @Option(names = "--plot", paramLabel = "PNG", description = "Also write the loss and accuracy curves to this PNG file.")
    Path plot;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "Write a training checkpoint to this file after every epoch (atomically), to continue from with --resume.")
    Path checkpoint;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in this checkpoint: the options that define the run are taken from it (one given"
                    + " again must match), and checkpoints go on to this file unless --checkpoint names another.")
    Path resume;

    /**
     * The options that define a run: its data, network, optimizer and schedule. A resume takes
     * them from the checkpoint. {@code --test}, {@code --threads} and the output files may change.
     */
    static final List<String> RUN_OPTIONS = List.of("--data", "--label", "--regression", "--scaling", "--layers",
            "--output-activation", "--loss", "--l2", "--optimizer", "--lr", "--momentum", "--weight-decay", "--schedule",
            "--batch", "--epochs", "--seed", "--shards", "--validation", "--patience");

    /** Checkpoint metadata: {@code train.batch} holds {@code --batch}, and so on. */
    private static final String OPTION_KEY = "train.";
    /** Checkpoint metadata: the last epoch's training figures, for the last line of a resume with no epoch left. */
    private static final String LAST_LOSS = "train.last.loss";
    private static final String LAST_ACCURACY = "train.last.accuracy";

    /** A checkpoint to resume, with the last epoch's training figures from its metadata. */
    private record Resumed(CheckpointFile.Contents contents, double lastLoss, double lastAccuracy) {
        TrainingState state() {
            return contents.state();
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        // First, so that the checkpoint's options are in place before any is checked or used.
        Resumed resumed = resume != null ? readCheckpoint() : null;
        Path source = data != null ? data : DataSource.bundledMnist();
        checkSettings(source);
        // Every option is parsed before the data is read, so a typo costs no waiting.
        NetworkText.LayerText[] hidden = NetworkText.hiddenLayers(layers);
        Activation outAct = NetworkText.activation(outputActivation);
        Loss lossFn = loss != null ? NetworkText.loss(loss) : null;
        Optimizer opt = optimizer();
        Schedule sched = Schedule.parse(schedule);
        Scaling.Kind kind = scaling != null ? Scaling.Kind.parse(scaling) : DataSource.defaultScaling(source);
        OutputGuard.checkReplaceable("--output", output, force, "a model file to write");
        Path checkpointFile = checkpoint != null ? checkpoint : resume;
        if (checkpointFile != null) {
            if (checkpointFile.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException(checkpointFile + ": the checkpoint file (--checkpoint, or --resume's) is also"
                        + " --output; choose another file name for one of them");
            }
            OutputGuard.checkReplaceable(checkpoint != null ? "--checkpoint" : "--resume", checkpointFile, force,
                    "a checkpoint file to write");
        }
        if (plot != null) {
            OutputGuard.checkPicture("--plot", plot, force, output, source, test, checkpointFile);
        }
        DataSource.CsvSpec csv = new DataSource.CsvSpec(label, regression);
        Dataset train = null, testSet = null, trainPart = null, validationSet = null;
        try {
            train = DataSource.read("--data", source, "train", csv);
            LabelCheck.check(source.toString(), train, allowSparseLabels, spec.commandLine().getErr());
            // The test set has the training set's classes, whichever of them its labels happen to use.
            DataSource.CsvSpec testCsv = csv.withClasses(train.classes());
            if (test != null) {
                testSet = DataSource.read("--test", test, "t10k", testCsv);
            } else if (DataSource.hasSplit(source, "t10k")) {
                testSet = DataSource.read("--data", source, "t10k", testCsv);
            }
            if (validation > 0) {
                Dataset[] parts = train.split(validation, seed);
                trainPart = parts[0];
                validationSet = parts[1];
            }
            Dataset fitOn = trainPart != null ? trainPart : train;
            Mlp net = network(train, hidden, outAct, lossFn);
            if (testSet != null) {
                checkFits(testSet, net);
            }
            // Scaling is fitted on the rows trained on only, so the validation figures are honest.
            Scaling scale = Scaling.fit(kind, fitOn);
            for (Dataset d : new Dataset[] {fitOn, validationSet, testSet}) {
                if (d != null) {
                    scale.apply(d);
                }
            }
            if (resumed != null) {
                checkResumable(resumed, net, scale);
            }
            // A batch larger than the set would only size workspaces for rows that never come.
            int batchRows = Math.min(batch, fitOn.size());
            out.printf(Locale.ROOT, "data:      %s (%,d rows) -> %,d training, %s validation, %s test%n", source, train.size(),
                    fitOn.size(), validationSet == null ? "no" : String.format(Locale.ROOT, "%,d", validationSet.size()),
                    testSet == null ? "no" : String.format(Locale.ROOT, "%,d", testSet.size()));
            out.printf(Locale.ROOT, "network:   %s, %,d parameters%n", net, net.parameterCount());
            out.flush();
            try (Model model = resumed != null ? resumed.state().newModel() : net.init(seed);
                 Trainer trainer = trainer(model, opt, batchRows, sched, out, checkpointFile, scale)) {
                out.printf(Locale.ROOT, "training:  %s, batch %d, %d epochs, schedule %s, %d thread(s), %d shard(s)%n", opt,
                        batchRows, epochs, sched, trainer.threads(), trainer.shards());
                if (resumed != null) {
                    TrainingState st = resumed.state();
                    out.printf("resuming:  %s after epoch %d of %d%s%n", resume, st.epochsDone(), st.settings().epochs(),
                            st.finished() ? "; the run is complete, nothing is left to train" : "");
                }
                out.flush();
                long t0 = System.nanoTime();
                TrainingHistory history;
                try {
                    history = resumed != null ? trainer.resume(resumed.state(), fitOn, validationSet)
                            : trainer.fit(fitOn, validationSet);
                } catch (TrainingDivergedException e) {
                    spec.commandLine().getErr().println("vecmlp train: " + e.getMessage() + " No model file was written.");
                    return 1;
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                Evaluation testFigures = testSet != null ? trainer.evaluate(testSet) : null;
                if (!history.epochs().isEmpty()) {
                    out.printf(Locale.ROOT, "training loop: %.2f s (%,d steps, %.0f samples/s; %.2f s with validation%s)%n",
                            history.seconds(), trainer.steps(),
                            (double) fitOn.size() * history.epochs().size() / history.seconds(), wall,
                            checkpointFile != null ? " and checkpoints" : "");
                }
                if (history.stoppedEarly()) {
                    out.printf("stopped early after epoch %d; kept the weights of epoch %d%n", trainer.epochsDone(),
                            history.bestEpoch() + 1);
                }
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("trained.on", source.toString());
                meta.put("trained.recipe", opt + ", batch " + batchRows + ", " + trainer.epochsDone() + " epochs, seed " + seed);
                if (testFigures != null) {
                    meta.put("test.loss", Double.toString(testFigures.loss()));
                    if (!Double.isNaN(testFigures.accuracy())) {
                        meta.put("test.accuracy", Double.toString(testFigures.accuracy()));
                    }
                }
                ModelFile.write(output, model, scale, meta);
                out.printf("model:     %s%n", output);
                if (plot != null && !history.epochs().isEmpty()) {
                    writePlot(plot, history, testFigures);
                    out.printf("plot:      %s%n", plot);
                }
                out.println(lastLine(history, testFigures, trainer, validationSet, resumed));
                out.flush();
            }
            return 0;
        } finally {
            for (Dataset d : new Dataset[] {validationSet, trainPart, testSet, train}) {
                if (d != null) {
                    d.close();
                }
            }
        }
    }

    /** The trainer of the run, with a checkpoint after every epoch when there is a checkpoint file. */
    private Trainer trainer(Model model, Optimizer opt, int batchRows, Schedule sched, PrintWriter out, Path checkpointFile,
                            Scaling scale) {
        Trainer.Builder b = Trainer.builder(model, opt).batch(batchRows).epochs(epochs).seed(seed)
                .threads(threads != null ? threads : Runtime.getRuntime().availableProcessors())
                .shards(shards).schedule(sched).earlyStopping(patience)
                .listener(new ProgressBar(out, ProgressBar.stdoutIsTerminal()));
        if (checkpointFile != null) {
            Map<String, String> options = runOptions();
            EpochStats[] last = new EpochStats[1];
            b.listener(new TrainingListener() {
                @Override
                public void epochEnd(EpochStats stats) {
                    last[0] = stats;
                }
            });
            b.checkpoints(state -> {
                Map<String, String> meta = new LinkedHashMap<>(options);
                meta.put(LAST_LOSS, Double.toString(last[0].trainLoss()));
                meta.put(LAST_ACCURACY, Double.toString(last[0].trainAccuracy()));
                CheckpointFile.write(checkpointFile, state, scale, meta);
            });
        }
        return b.build();
    }

    /** The run's options as a checkpoint keeps them: those set, each as its text. */
    private Map<String, String> runOptions() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String name : RUN_OPTIONS) {
            Object v = spec.findOption(name).getValue();
            if (v != null) {
                m.put(OPTION_KEY + name.substring(2), String.valueOf(v));
            }
        }
        return m;
    }

    /**
     * Reads {@code --resume}'s checkpoint and sets the run's options from it; an option given on
     * the command line must have the checkpoint's value already.
     */
    private Resumed readCheckpoint() throws IOException {
        CheckpointFile.Contents c = PathArgument.readFile("--resume", resume, "a training checkpoint (written by --checkpoint)",
                CheckpointFile::read);
        Map<String, String> meta = c.metadata();
        double lastLoss = number(meta, LAST_LOSS), lastAccuracy = number(meta, LAST_ACCURACY);
        for (String name : RUN_OPTIONS) {
            OptionSpec o = spec.findOption(name);
            String key = OPTION_KEY + name.substring(2);
            String saved = meta.get(key);
            if (saved == null && o.type().isPrimitive()) {
                throw notFromTrain(key);
            }
            Object value = saved == null ? null : parse(o.type(), key, saved);
            if (spec.commandLine().getParseResult().hasMatchedOption(name)
                    && !Objects.equals(canonical(value), canonical(o.getValue()))) {
                throw new IllegalArgumentException(name + ": expected " + (saved == null
                        ? "no value, as the run in " + resume + " was started without one (the default)"
                        : saved + ", as the run in " + resume + " was started with")
                        + ", found " + o.getValue() + "; leave it out to take the checkpoint's");
            }
            o.setValue(value);
        }
        return new Resumed(c, lastLoss, lastAccuracy);
    }

    private IllegalArgumentException notFromTrain(String key) {
        return new IllegalArgumentException(resume + ": expected a checkpoint written by train --checkpoint (metadata "
                + key + "), found none; resume a checkpoint of your own with Trainer.resume");
    }

    private double number(Map<String, String> meta, String key) {
        String s = meta.get(key);
        if (s == null) {
            throw notFromTrain(key);
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(resume + ": metadata " + key + ": expected a number, found '" + s + "'");
        }
    }

    /** An option's value from its text in a checkpoint, as picocli would have converted it. */
    private Object parse(Class<?> type, String key, String text) {
        try {
            if (type == Path.class) {
                return Path.of(text);
            } else if (type == String.class) {
                return text;
            } else if (type == boolean.class) {
                if (!text.equals("true") && !text.equals("false")) {
                    throw new NumberFormatException(text);
                }
                return Boolean.valueOf(text);
            } else if (type == int.class) {
                return Integer.valueOf(text);
            } else if (type == long.class) {
                return Long.valueOf(text);
            } else if (type == double.class || type == Double.class) {
                return Double.valueOf(text);
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(resume + ": metadata " + key + ": expected a " + type.getSimpleName()
                    + ", found '" + text + "'");
        }
        throw new IllegalStateException("no conversion from a checkpoint's text to " + type + " (for " + key + ")");
    }

    /** The value an option stands for: a path as an absolute one, anything else as its text. */
    private static String canonical(Object value) {
        return value == null ? null : value instanceof Path p ? p.toAbsolutePath().normalize().toString() : String.valueOf(value);
    }

    /**
     * Throws unless the network and the scaling made from the options and the data are the
     * checkpoint's: the options matched, so a difference means the data changed.
     */
    private void checkResumable(Resumed resumed, Mlp net, Scaling scale) {
        if (!resumed.state().spec().equals(net)) {
            throw new IllegalArgumentException(resume + ": architecture: expected " + net + " (from the options and the data),"
                    + " found " + resumed.state().spec() + "; did the training data change?");
        }
        if (!resumed.contents().scaling().equals(scale)) {
            throw new IllegalArgumentException(resume + ": the input scaling fitted on the training rows differs from the"
                    + " checkpoint's; the training data changed since the checkpoint was written");
        }
    }

    private void checkSettings(Path source) {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch: expected at least 1, found " + batch);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs: expected at least 1, found " + epochs);
        }
        if (!(validation >= 0 && validation < 1)) {
            throw new IllegalArgumentException("--validation: expected a fraction in [0, 1), found " + validation);
        }
        if (patience < 0) {
            throw new IllegalArgumentException("--patience: expected 0 (no early stopping) or more epochs, found " + patience);
        }
        if (threads != null && (threads < 1 || threads > 256)) {
            throw new IllegalArgumentException("--threads: expected 1 to 256, found " + threads);
        }
        if (shards < 1 || shards > 256) {
            throw new IllegalArgumentException("--shards: expected 1 to 256, found " + shards);
        }
        if (patience > 0 && validation == 0) {
            throw new IllegalArgumentException("--patience: early stopping needs a validation set; add --validation 0.1, for example");
        }
        if (test != null && DataSource.isIdxDirectory(source)) {
            throw new IllegalArgumentException("--test: an IDX directory brings its own test split (t10k-*); --test is for CSV data");
        }
    }

    private Mlp network(Dataset train, NetworkText.LayerText[] hidden, Activation outAct, Loss chosenLoss) {
        Loss lossFn = chosenLoss != null ? chosenLoss : train.isClassification() ? Loss.SOFTMAX_CROSS_ENTROPY : Loss.SQUARED_ERROR;
        int outputs = train.isClassification() ? train.classes() : train.targetColumns();
        Mlp.Builder b = Mlp.input(train.features());
        for (NetworkText.LayerText l : hidden) {
            b.dense(l.width(), l.activation());
        }
        return b.dense(outputs, outAct).loss(lossFn).l2(l2).build();
    }

    /** Throws before training if the test set could not be evaluated after it. */
    private static void checkFits(Dataset testSet, Mlp net) {
        if (testSet.features() != net.inputs()) {
            throw new IllegalArgumentException(testSet.name() + ": the test set has " + testSet.features()
                    + " features per row, expected " + net.inputs() + " like the training set");
        }
        String why = testSet.targetMismatch(net.outputs());
        if (why != null) {
            throw new IllegalArgumentException("test set: " + why);
        }
    }

    private Optimizer optimizer() {
        return Optimizer.named("--optimizer", optimizer, lr, momentum, weightDecay);
    }

    private static String lastLine(TrainingHistory h, Evaluation test, Trainer trainer, Dataset validationSet,
                                   Resumed resumed) {
        if (test != null) {
            return Double.isNaN(test.accuracy()) ? String.format(Locale.ROOT, "test loss: %.4f", test.loss())
                    : String.format(Locale.ROOT, "test accuracy: %.4f", test.accuracy());
        }
        EpochStats kept = null;
        for (EpochStats s : h.epochs()) {
            if (s.epoch() == h.bestEpoch()) {
                kept = s;
            }
        }
        if (validationSet != null) {
            // The kept epoch may precede a resume; the model holds its weights, so evaluating again gives its figures.
            Evaluation v = kept != null ? kept.validation() : trainer.evaluate(validationSet);
            return Double.isNaN(v.accuracy()) ? String.format(Locale.ROOT, "validation loss: %.4f", v.loss())
                    : String.format(Locale.ROOT, "validation accuracy: %.4f", v.accuracy());
        }
        // Without validation the last epoch is kept; only a resume with no epoch left has not run it.
        double loss = kept != null ? kept.trainLoss() : resumed.lastLoss();
        double accuracy = kept != null ? kept.trainAccuracy() : resumed.lastAccuracy();
        return Double.isNaN(accuracy) ? String.format(Locale.ROOT, "training loss: %.4f", loss)
                : String.format(Locale.ROOT, "training accuracy: %.4f", accuracy);
    }

    /** Loss and accuracy per epoch, training and validation, side by side. */
    static void writePlot(Path file, TrainingHistory h, Evaluation test) throws IOException {
        List<EpochStats> e = h.epochs();
        int n = e.size();
        double[] x = new double[n], trainLoss = new double[n], trainAcc = new double[n], valLoss = new double[n], valAcc = new double[n];
        boolean hasVal = e.get(0).validation() != null;
        boolean classes = !Double.isNaN(e.get(0).trainAccuracy());
        for (int i = 0; i < n; i++) {
            EpochStats s = e.get(i);
            x[i] = s.epoch() + 1;
            trainLoss[i] = s.trainLoss();
            trainAcc[i] = s.trainAccuracy();
            if (hasVal) {
                valLoss[i] = s.validation().loss();
                valAcc[i] = s.validation().accuracy();
            }
        }
        LineChart lossChart = LineChart.titled("Loss per epoch").xLabel("epoch").yLabel("mean loss").integerX(true)
                .series("training", x, trainLoss);
        if (hasVal) {
            lossChart = lossChart.series("validation", x, valLoss, Style.DASHED);
        }
        if (test != null) {
            lossChart = lossChart.series("test (final)", new double[] {x[n - 1]}, new double[] {test.loss()});
        }
        if (!classes) {
            Charts.writePng(file, 1, 640, 420, lossChart);
            return;
        }
        LineChart accChart = LineChart.titled("Accuracy per epoch").xLabel("epoch").yLabel("accuracy").integerX(true)
                .series("training", x, trainAcc);
        if (hasVal) {
            accChart = accChart.series("validation", x, valAcc, Style.DASHED);
        }
        if (test != null) {
            accChart = accChart.series("test (final)", new double[] {x[n - 1]}, new double[] {test.accuracy()});
        }
        Charts.writePng(file, 2, 640, 420, lossChart, accChart);
    }
}
