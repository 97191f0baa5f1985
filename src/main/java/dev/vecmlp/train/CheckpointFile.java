package dev.vecmlp.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.vecmlp.data.Scaling;
import dev.vecmlp.io.ModelFile;
import dev.vecmlp.io.ModelFormatException;
import dev.vecmlp.io.Safetensors;
import dev.vecmlp.io.Tensor;
import dev.vecmlp.io.TensorFile;
import dev.vecmlp.nn.Mlp;

/**
 * A training checkpoint in one safetensors file: a {@link TrainingState} with the input scaling,
 * from which {@link Trainer#resume} continues to the same bits as a run that
 * never stopped.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.builder(model, optimizer).epochs(20).seed(42L)
 *         .checkpoints(state -> CheckpointFile.write(path, state, scaling, Map.of()))
 *         .build();
 * ...
 * CheckpointFile.Contents saved = CheckpointFile.read(path);
 * try (Model model = saved.state().newModel();
 *      Trainer again = Trainer.builder(model, saved.state()).build()) {
 *     again.resume(saved.state(), train, validation);
 * }
 * }</pre>
 *
 * <p><b>Layout.</b> The model exactly as {@link ModelFile} writes it (tensors {@code 0.weight},
 * {@code 0.bias}, ..., metadata {@code format} and {@code vecmlp.*}), then the optimizer's state
 * in tensors of the same shapes under PyTorch's names for it: {@code optimizer.momentum_buffer.0.weight}
 * ... for SGD with momentum, {@code optimizer.exp_avg.*} and {@code optimizer.exp_avg_sq.*} for
 * Adam; then, when early stopping has a best epoch, that epoch's parameters as {@code best.*}.
 * The run is in {@code checkpoint.*} metadata: {@code version} ({@value #VERSION}), {@code epoch}
 * (epochs completed), {@code epochs}, {@code stopped}, {@code step} (optimizer steps, Adam's t),
 * {@code rows} (training rows), {@code seed}, {@code batch}, {@code shards}, {@code schedule}
 * ({@code constant}, {@code step:5:0.5}, {@code cosine:0.0}), {@code optimizer} ({@code sgd} or
 * {@code adam}), {@code lr}, {@code weight_decay}, {@code momentum} and {@code nesterov} (SGD) or
 * {@code beta1}, {@code beta2} and {@code eps} (Adam), {@code patience}, and with early stopping
 * {@code best_epoch} (-1 for none), {@code best_loss} (when there is one) and {@code since_best}.
 * Numbers are written by {@link Float#toString}, {@link Double#toString} and {@link Long#toString},
 * which read back to the same values. Other keys are the caller's.
 *
 * <p><b>A checkpoint is also a model file:</b> {@link ModelFile#read} loads its model and passes
 * over the {@code optimizer.*} and {@code best.*} tensors, so {@code vecmlp eval} and
 * {@code predict} take a checkpoint as they take a model. Those two prefixes are passed over only
 * in a file that has {@code checkpoint.version}; a model file with a stray tensor is still
 * rejected. PyTorch's strict {@code load_state_dict} wants the model's tensors alone: drop the
 * two prefixes first.
 *
 * <p><b>Reading</b> is as strict as {@link ModelFile}'s: every tensor the metadata calls for must
 * be there with its shape, no other may be, every value must be finite, and every
 * {@code checkpoint.*} key must be one this version writes, in range, and consistent with the
 * others; anything else is a {@link ModelFormatException} naming the tensor or key and, where
 * there is one, the byte offset. Whether the state fits the trainer that resumes it (the same
 * settings and row count) is {@link Trainer#resume}'s check.
 */
public final class CheckpointFile {
    /** The version of this metadata layout. */
    public static final String VERSION = "1";

    private static final String PREFIX = "checkpoint.";
    private static final String VERSION_KEY = ModelFile.CHECKPOINT_VERSION_KEY;
    private static final String EPOCH = PREFIX + "epoch";
    private static final String EPOCHS = PREFIX + "epochs";
    private static final String STOPPED = PREFIX + "stopped";
    private static final String STEP = PREFIX + "step";
    private static final String ROWS = PREFIX + "rows";
    private static final String SEED = PREFIX + "seed";
    private static final String BATCH = PREFIX + "batch";
    private static final String SHARDS = PREFIX + "shards";
    private static final String SCHEDULE = PREFIX + "schedule";
    private static final String OPTIMIZER = PREFIX + "optimizer";
    private static final String LR = PREFIX + "lr";
    private static final String WEIGHT_DECAY = PREFIX + "weight_decay";
    private static final String MOMENTUM = PREFIX + "momentum";
    private static final String NESTEROV = PREFIX + "nesterov";
    private static final String BETA1 = PREFIX + "beta1";
    private static final String BETA2 = PREFIX + "beta2";
    private static final String EPS = PREFIX + "eps";
    private static final String PATIENCE = PREFIX + "patience";
    private static final String BEST_EPOCH = PREFIX + "best_epoch";
    private static final String BEST_LOSS = PREFIX + "best_loss";
    private static final String SINCE_BEST = PREFIX + "since_best";
    private static final List<String> KEYS = List.of(VERSION_KEY, EPOCH, EPOCHS, STOPPED, STEP, ROWS, SEED, BATCH, SHARDS,
            SCHEDULE, OPTIMIZER, LR, WEIGHT_DECAY, MOMENTUM, NESTEROV, BETA1, BETA2, EPS, PATIENCE, BEST_EPOCH, BEST_LOSS,
            SINCE_BEST);

    private static final String OPTIMIZER_TENSORS = ModelFile.CHECKPOINT_OPTIMIZER_PREFIX;
    private static final String BEST_TENSORS = ModelFile.CHECKPOINT_BEST_PREFIX;

    /** An integer in digits, optionally negative, without leading zeros or a negative zero. */
    private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]*");

    private CheckpointFile() {
    }

    /**
     * A checkpoint read from a file. Nothing in it needs closing: {@link TrainingState#newModel()}
     * makes the model.
     *
     * @param state    the training state
     * @param scaling  the input scaling the run's data was scaled with
     * @param metadata the metadata entries other than {@code format}, {@code vecmlp.*} and
     *                 {@code checkpoint.*}, in file order; unmodifiable
     */
    public record Contents(TrainingState state, Scaling scaling, Map<String, String> metadata) {
        public Contents {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(scaling, "scaling");
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Writes {@code state}, the input {@code scaling} (null for none) and {@code extraMetadata} to
     * {@code file}, atomically replacing any file there: a crash mid-write leaves the previous
     * checkpoint whole.
     *
     * @throws IllegalArgumentException if the scaling is for another input width, or an extra key
     *                                  is {@code format} or starts with {@code vecmlp.} or
     *                                  {@code checkpoint.}
     * @throws IOException              if the directory does not exist or the write fails
     */
    public static void write(Path file, TrainingState state, Scaling scaling, Map<String, String> extraMetadata)
            throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(extraMetadata, "extraMetadata");
        Mlp spec = state.spec();
        Map<String, String> metadata = ModelFile.metadata(spec, scaling);
        ModelFile.checkExtra(extraMetadata, CheckpointFile::isReserved, "format or starting with vecmlp. or " + PREFIX);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        ModelFile.putTensors(tensors, "", spec, state.parameters());
        TrainingState.Settings settings = state.settings();
        List<String> slabNames = stateNames(settings.optimizer());
        List<float[]> slabs = state.optimizerState();
        for (int i = 0; i < slabs.size(); i++) {
            ModelFile.putTensors(tensors, OPTIMIZER_TENSORS + slabNames.get(i) + ".", spec, slabs.get(i));
        }
        TrainingState.EarlyStopping early = state.earlyStopping();
        if (early.bestParameters() != null) {
            ModelFile.putTensors(tensors, BEST_TENSORS, spec, early.bestParameters());
        }

        metadata.put(VERSION_KEY, VERSION);
        metadata.put(EPOCH, Integer.toString(state.epochsDone()));
        metadata.put(EPOCHS, Integer.toString(settings.epochs()));
        metadata.put(STOPPED, Boolean.toString(state.stopped()));
        metadata.put(STEP, Long.toString(state.steps()));
        metadata.put(ROWS, Integer.toString(state.rows()));
        metadata.put(SEED, Long.toString(settings.seed()));
        metadata.put(BATCH, Integer.toString(settings.batch()));
        metadata.put(SHARDS, Integer.toString(settings.shards()));
        metadata.put(SCHEDULE, settings.schedule().toString());
        Optimizer o = settings.optimizer();
        metadata.put(OPTIMIZER, o.kind() == Optimizer.Kind.SGD ? "sgd" : "adam");
        metadata.put(LR, Float.toString(o.learningRate()));
        metadata.put(WEIGHT_DECAY, Float.toString(o.weightDecayValue()));
        if (o.kind() == Optimizer.Kind.SGD) {
            metadata.put(MOMENTUM, Float.toString(o.momentumValue()));
            metadata.put(NESTEROV, Boolean.toString(o.isNesterov()));
        } else {
            metadata.put(BETA1, Float.toString(o.beta1Value()));
            metadata.put(BETA2, Float.toString(o.beta2Value()));
            metadata.put(EPS, Float.toString(o.epsilonValue()));
        }
        metadata.put(PATIENCE, Integer.toString(settings.patience()));
        if (settings.patience() > 0) {
            metadata.put(BEST_EPOCH, Integer.toString(early.bestEpoch()));
            if (early.bestEpoch() >= 0) {
                metadata.put(BEST_LOSS, Double.toString(early.bestLoss()));
            }
            metadata.put(SINCE_BEST, Integer.toString(early.epochsSinceBest()));
        }
        metadata.putAll(extraMetadata);
        Safetensors.write(file, tensors, metadata);
    }

    /**
     * Reads and checks a checkpoint written by {@link #write}.
     *
     * @throws ModelFormatException if the file breaks the format or this layout (see the class
     *                              comment)
     * @throws IOException          if it cannot be read
     */
    public static Contents read(Path file) throws IOException {
        TensorFile f = Safetensors.read(Objects.requireNonNull(file, "file"));
        Map<String, String> m = f.metadata();
        String version = m.get(VERSION_KEY);
        if (version == null) {
            throw f.error("metadata: expected a training checkpoint's " + VERSION_KEY + ", found none"
                    + (m.containsKey(ModelFile.LAYERS_KEY) ? "; this is a model file, which holds no training state" : ""));
        }
        if (!version.equals(VERSION)) {
            throw f.metadataError(VERSION_KEY, "expected \"" + VERSION + "\", found " + ModelFormatException.quote(version));
        }
        for (String key : m.keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw f.metadataError(key, "expected a key of checkpoint version " + VERSION + " (" + String.join(", ", KEYS)
                        + "), found an unknown one");
            }
        }
        Mlp spec = ModelFile.architecture(f);
        Scaling scaling = ModelFile.scaling(f, spec.inputs());

        TrainingState.Settings settings = settingsOf(f);
        int epochsDone = (int) integer(f, EPOCH, 0, settings.epochs());
        boolean stopped = bool(f, STOPPED);
        int rows = (int) integer(f, ROWS, 1, Integer.MAX_VALUE);
        long steps = integer(f, STEP, 0, Long.MAX_VALUE);
        int bestEpoch = -1;
        double bestLoss = Double.POSITIVE_INFINITY;
        int sinceBest = 0;
        if (settings.patience() > 0) {
            bestEpoch = (int) integer(f, BEST_EPOCH, -1, epochsDone - 1);
            sinceBest = (int) integer(f, SINCE_BEST, 0, epochsDone);
            if (bestEpoch >= 0) {
                bestLoss = doubleValue(f, BEST_LOSS);
            } else {
                requireAbsent(f, BEST_LOSS, "without a best epoch (" + BEST_EPOCH + " -1)");
            }
        } else {
            for (String key : List.of(BEST_EPOCH, BEST_LOSS, SINCE_BEST)) {
                requireAbsent(f, key, "without early stopping (" + PATIENCE + " 0)");
            }
        }

        List<String> groups = new ArrayList<>();
        groups.add("");
        for (String name : stateNames(settings.optimizer())) {
            groups.add(OPTIMIZER_TENSORS + name + ".");
        }
        if (bestEpoch >= 0) {
            groups.add(BEST_TENSORS);
        }
        Set<String> expected = new HashSet<>();
        for (String prefix : groups) {
            ModelFile.requireTensors(f, spec, prefix);
            for (String name : ModelFile.tensorNames(spec)) {
                expected.add(prefix + name);
            }
        }
        for (String name : f.tensors().keySet()) {
            if (!expected.contains(name)) {
                throw f.tensorError(name, "expected only the tensors of " + spec + " with the prefixes "
                        + groups.stream().map(p -> p.isEmpty() ? "(none)" : p).toList() + " for this checkpoint's "
                        + m.get(OPTIMIZER) + " optimizer" + (bestEpoch >= 0 ? " and best epoch" : "")
                        + ", found this one too");
            }
        }
        float[] parameters = ModelFile.tensorsOf(f, spec, "");
        List<float[]> slabs = new ArrayList<>();
        for (String prefix : groups.subList(1, 1 + settings.optimizer().stateSlabs())) {
            slabs.add(ModelFile.tensorsOf(f, spec, prefix));
        }
        float[] best = bestEpoch >= 0 ? ModelFile.tensorsOf(f, spec, BEST_TENSORS) : null;

        TrainingState state;
        try {
            TrainingState.EarlyStopping early = bestEpoch < 0 && sinceBest == 0 ? TrainingState.EarlyStopping.NONE
                    : new TrainingState.EarlyStopping(bestEpoch, bestLoss, sinceBest, best);
            state = new TrainingState(spec, parameters, settings, rows, epochsDone, stopped, steps, slabs, early);
        } catch (IllegalArgumentException e) {
            throw f.error("checkpoint: " + e.getMessage());
        }
        Map<String, String> extra = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (!isReserved(k)) {
                extra.put(k, v);
            }
        });
        return new Contents(state, scaling, extra);
    }

    private static boolean isReserved(String key) {
        return ModelFile.isReserved(key) || key.startsWith(PREFIX);
    }

    /** PyTorch's names for the optimizer's state, one per {@link Optimizer#stateSlabs()}. */
    private static List<String> stateNames(Optimizer o) {
        return switch (o.kind()) {
            case SGD -> o.stateSlabs() == 0 ? List.of() : List.of("momentum_buffer");
            case ADAM -> List.of("exp_avg", "exp_avg_sq");
        };
    }

    private static TrainingState.Settings settingsOf(TensorFile f) throws ModelFormatException {
        String kind = required(f, OPTIMIZER);
        Optimizer o;
        switch (kind) {
            case "sgd" -> {
                requireAbsent(f, BETA1, "for an sgd optimizer");
                requireAbsent(f, BETA2, "for an sgd optimizer");
                requireAbsent(f, EPS, "for an sgd optimizer");
                float lr = floatValue(f, LR), momentum = floatValue(f, MOMENTUM);
                boolean nesterov = bool(f, NESTEROV);
                Optimizer plain = setting(f, LR, () -> Optimizer.sgd(lr));
                Optimizer heavy = momentum != 0f ? setting(f, MOMENTUM, () -> plain.momentum(momentum)) : plain;
                o = nesterov ? setting(f, NESTEROV, heavy::nesterov) : heavy;
            }
            case "adam" -> {
                requireAbsent(f, MOMENTUM, "for an adam optimizer");
                requireAbsent(f, NESTEROV, "for an adam optimizer");
                float lr = floatValue(f, LR);
                float beta1 = floatValue(f, BETA1), beta2 = floatValue(f, BETA2), eps = floatValue(f, EPS);
                Optimizer plain = setting(f, LR, () -> Optimizer.adam(lr));
                Optimizer betas = setting(f, beta1 >= 0 && beta1 < 1 ? BETA2 : BETA1, () -> plain.betas(beta1, beta2));
                o = setting(f, EPS, () -> betas.epsilon(eps));
            }
            default -> throw f.metadataError(OPTIMIZER, "expected sgd or adam, found " + ModelFormatException.quote(kind));
        }
        float decay = floatValue(f, WEIGHT_DECAY);
        Optimizer undecayed = o;
        Optimizer optimizer = setting(f, WEIGHT_DECAY, () -> undecayed.weightDecay(decay));

        int epochs = (int) integer(f, EPOCHS, 1, Integer.MAX_VALUE);
        long seed = integer(f, SEED, Long.MIN_VALUE, Long.MAX_VALUE);
        int batch = (int) integer(f, BATCH, 1, Integer.MAX_VALUE);
        int shards = (int) integer(f, SHARDS, 1, batch);
        String scheduleText = required(f, SCHEDULE);
        Schedule schedule;
        try {
            schedule = Schedule.parse(scheduleText);
        } catch (IllegalArgumentException e) {
            throw f.metadataError(SCHEDULE, e.getMessage());
        }
        // The written form only: parse also takes spaces, capitals and a cosine without its floor.
        if (!schedule.toString().equals(scheduleText)) {
            throw f.metadataError(SCHEDULE, "expected the written form " + ModelFormatException.quote(schedule.toString()) + ", found "
                    + ModelFormatException.quote(scheduleText));
        }
        int patience = (int) integer(f, PATIENCE, 0, Integer.MAX_VALUE);
        return new TrainingState.Settings(optimizer, batch, epochs, seed, shards, schedule, patience);
    }

    /** An optimizer with a setting read from {@code key}: the optimizer's own range check, reported there. */
    private static Optimizer setting(TensorFile f, String key, Supplier<Optimizer> make) throws ModelFormatException {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw f.metadataError(key, e.getMessage());
        }
    }

    private static String required(TensorFile f, String key) throws ModelFormatException {
        return f.requiredMetadata(key, "checkpoint version " + VERSION);
    }

    private static void requireAbsent(TensorFile f, String key, String why) throws ModelFormatException {
        if (f.metadata().containsKey(key)) {
            throw f.metadataError(key, "expected no such key " + why + ", found one");
        }
    }

    /** An integer in digits from {@code min} to {@code max}. */
    private static long integer(TensorFile f, String key, long min, long max) throws ModelFormatException {
        String s = required(f, key);
        if (!INTEGER.matcher(s).matches()) {
            throw f.metadataError(key, "expected an integer in digits, found " + ModelFormatException.quote(s));
        }
        String range = "expected an integer from " + min + " to " + max + ", found " + s;
        long v;
        try {
            v = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw f.metadataError(key, range);
        }
        if (v < min || v > max) {
            throw f.metadataError(key, range);
        }
        return v;
    }

    private static boolean bool(TensorFile f, String key) throws ModelFormatException {
        String s = required(f, key);
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw f.metadataError(key, "expected true or false, found " + ModelFormatException.quote(s));
        };
    }

    private static float floatValue(TensorFile f, String key) throws ModelFormatException {
        return ModelFile.floatValue(f, key, required(f, key));
    }

    private static double doubleValue(TensorFile f, String key) throws ModelFormatException {
        return ModelFile.doubleValue(f, key, required(f, key));
    }
}
