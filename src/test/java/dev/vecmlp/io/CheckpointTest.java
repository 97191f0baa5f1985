package dev.vecmlp.io;

import static dev.vecmlp.io.Bytes.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;
import dev.vecmlp.train.CheckpointFile;
import dev.vecmlp.train.Optimizer;
import dev.vecmlp.train.Schedule;
import dev.vecmlp.train.Trainer;
import dev.vecmlp.train.TrainingHistory;
import dev.vecmlp.train.TrainingState;

/**
 * Training checkpoints: a run stopped after an epoch and resumed from its file, in new objects,
 * ends with the same bits as a run that never stopped; a broken or foreign checkpoint is refused.
 */
class CheckpointTest {
    @TempDir
    Path dir;

    /** Widths around the 16-float row padding, so the optimizer state's layout is exercised. */
    private static final Mlp NET = Mlp.input(6).dense(20, Activation.RELU).dense(9, Activation.TANH)
            .dense(3, Activation.LINEAR).loss(Loss.SOFTMAX_CROSS_ENTROPY).l2(1e-3).build();

    /** Thrown by a checkpoint sink to stop a run the way a crash would, after the checkpoint is written. */
    private static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash", null, false, false);
        }
    }

    /** Three Gaussian blobs in 6 dimensions. */
    private static Dataset blobs(int rows, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[rows * 6];
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) {
            y[r] = rng.nextInt(3);
            for (int c = 0; c < 6; c++) {
                x[r * 6 + c] = (float) (rng.nextGaussian() + (c % 3 == y[r] ? 1.5 : 0));
            }
        }
        return Dataset.ofClassification("blobs", x, 6, y, 3);
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + ": expected " + expected[i] + ", found " + actual[i]);
            }
        }
    }

    private static void assertSameState(TrainingState expected, TrainingState actual) {
        assertBitsEqual(expected.parameters(), actual.parameters(), "parameters");
        assertEquals(expected.steps(), actual.steps(), "steps");
        assertEquals(expected.epochsDone(), actual.epochsDone(), "epochs done");
        assertEquals(expected.stopped(), actual.stopped(), "stopped");
        assertEquals(expected.settings(), actual.settings(), "settings");
        for (int i = 0; i < expected.optimizerState().size(); i++) {
            assertBitsEqual(expected.optimizerState().get(i), actual.optimizerState().get(i), "optimizer state " + i);
        }
        TrainingState.EarlyStopping e = expected.earlyStopping(), a = actual.earlyStopping();
        assertEquals(e.bestEpoch(), a.bestEpoch(), "best epoch");
        assertEquals(e.bestLoss(), a.bestLoss(), "best loss");
        assertEquals(e.epochsSinceBest(), a.epochsSinceBest(), "epochs since the best");
        if (e.bestParameters() != null) {
            assertBitsEqual(e.bestParameters(), a.bestParameters(), "best parameters");
        }
    }

    static Stream<Arguments> runs() {
        Schedule cosine = Schedule.cosine(0.1);
        return Stream.of(
                Arguments.of(Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4), cosine, 1),
                Arguments.of(Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4), cosine, 2),
                Arguments.of(Optimizer.sgd(0.05).momentum(0.8).nesterov(), cosine, 1),
                Arguments.of(Optimizer.sgd(0.05).momentum(0.8).nesterov(), cosine, 2),
                Arguments.of(Optimizer.adam(3e-3).weightDecay(1e-4), cosine, 1),
                Arguments.of(Optimizer.adam(3e-3).weightDecay(1e-4), cosine, 2),
                Arguments.of(Optimizer.sgd(0.1), Schedule.step(1, 0.5), 2));
    }

    @ParameterizedTest(name = "{0}, {1}, {2} thread(s)")
    @MethodSource("runs")
    void aRunResumedFromItsCheckpointFileEndsWithTheSameBits(Optimizer o, Schedule schedule, int threads)
            throws IOException {
        Path file = dir.resolve("run.safetensors");
        Scaling scaling = Scaling.of(Scaling.Kind.STANDARDIZE, new float[] {1, 2, 3, 4, 5, 6},
                new float[] {0.5f, 1, 2, 0.25f, 1, 3});
        try (Dataset d = blobs(203, 1)) {
            TrainingState straight;
            try (Model m = NET.init(5);
                 Trainer t = Trainer.builder(m, o).batch(16).epochs(4).seed(9).schedule(schedule).threads(threads).build()) {
                t.fit(d, null);
                straight = t.state();
            }
            try (Model m = NET.init(5);
                 Trainer t = Trainer.builder(m, o).batch(16).epochs(4).seed(9).schedule(schedule).threads(threads)
                         .checkpoints(s -> {
                             CheckpointFile.write(file, s, scaling, Map.of("note", "halfway"));
                             if (s.epochsDone() == 2) {
                                 throw new Crash();
                             }
                         }).build()) {
                assertThrows(Crash.class, () -> t.fit(d, null));
            }

            CheckpointFile.Contents saved = CheckpointFile.read(file);
            assertEquals(2, saved.state().epochsDone());
            assertEquals(scaling, saved.scaling());
            assertEquals(Map.of("note", "halfway"), saved.metadata());
            // The other thread count for the second half: threads change nothing in the arithmetic.
            try (Model m = saved.state().newModel();
                 Trainer t = Trainer.builder(m, saved.state()).threads(3 - threads).build()) {
                TrainingHistory h = t.resume(saved.state(), d, null);
                assertEquals(List.of(2, 3), h.epochs().stream().map(e -> e.epoch()).toList());
                assertEquals(3, h.bestEpoch());
                assertEquals(4, t.epochsDone());
                assertSameState(straight, t.state());
            }
        }
    }

    @Test
    void earlyStoppingResumedFromAnyEpochKeepsTheSameBestEpoch() throws IOException {
        // Validation labels are the training labels rotated: the better the fit, the worse the validation loss.
        try (Dataset d = blobs(200, 5)) {
            float[] x = d.featureMatrix().toArray();
            int[] rotated = new int[200];
            for (int r = 0; r < 200; r++) {
                rotated[r] = (d.label(r) + 1) % 3;
            }
            try (Dataset v = Dataset.ofClassification("rotated", x, 6, rotated, 3)) {
                List<TrainingState> states = new ArrayList<>();
                TrainingHistory straight;
                float[] finalWeights;
                try (Model m = NET.init(6);
                     Trainer t = Trainer.builder(m, Optimizer.sgd(0.1).momentum(0.5)).batch(20).epochs(30).earlyStopping(2)
                             .seed(6).checkpoints(states::add).build()) {
                    straight = t.fit(d, v);
                    finalWeights = m.parametersToArray();
                }
                assertTrue(straight.stoppedEarly(), "stopped early: " + straight.epochs().size() + " epochs");
                assertTrue(states.getLast().stopped());
                for (TrainingState s : states) {
                    Path file = dir.resolve("epoch-" + s.epochsDone() + ".safetensors");
                    CheckpointFile.write(file, s, null, Map.of());
                    TrainingState read = CheckpointFile.read(file).state();
                    assertSameState(s, read);
                    try (Model m = read.newModel(); Trainer t = Trainer.builder(m, read).threads(2).build()) {
                        TrainingHistory h = t.resume(read, d, v);
                        String where = "resumed after epoch " + s.epochsDone();
                        assertEquals(straight.bestEpoch(), h.bestEpoch(), where);
                        assertEquals(straight.stoppedEarly(), h.stoppedEarly(), where);
                        assertEquals(straight.epochs().size(), t.epochsDone(), where);
                        assertEquals(straight.epochs().size() - s.epochsDone(), h.epochs().size(), where);
                        assertBitsEqual(finalWeights, m.parametersToArray(), where);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // A checkpoint is also a model file

    @Test
    void aCheckpointLoadsAsAModelAndAStrayTensorInAModelFileIsStillRejected() throws IOException {
        Path file = checkpoint();
        TrainingState state = CheckpointFile.read(file).state();
        try (ModelFile.Contents c = ModelFile.read(file)) {
            assertArrayEquals(state.parameters(), c.model().parametersToArray());
            assertEquals(NET, c.model().spec());
        }
        Path model = dir.resolve("model.safetensors");
        try (Model m = state.newModel()) {
            ModelFile.write(model, m, null, Map.of());
        }
        Path stray = rewrite(model, "stray.safetensors", meta -> { },
                t -> t.put("optimizer.exp_avg.0.bias", Tensor.f32(new float[20], 20)));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(stray));
        assertEquals("optimizer.exp_avg.0.bias", e.tensor().orElseThrow(), e.getMessage());
        assertRejected(model, null, -1, () -> CheckpointFile.read(model), "expected a training checkpoint's",
                "this is a model file");
    }

    // ---------------------------------------------------------------------------------------
    // Broken checkpoints

    /** A checkpoint of an Adam run with early stopping and a best epoch, so that every key and tensor is there. */
    private Path checkpoint() throws IOException {
        Path file = dir.resolve("valid.safetensors");
        try (Dataset d = blobs(100, 3); Dataset v = blobs(40, 4); Model m = NET.init(2);
             Trainer t = Trainer.builder(m, Optimizer.adam(1e-3)).batch(32).epochs(5).seed(1).earlyStopping(5).threads(1)
                     .build()) {
            t.fit(d, v);
            TrainingState s = t.state();
            assertTrue(s.earlyStopping().bestEpoch() >= 0);
            CheckpointFile.write(file, new TrainingState(s.spec(), s.parameters(), s.settings(), s.rows(), 2, false,
                    s.steps(), s.optimizerState(), new TrainingState.EarlyStopping(1, 0.5, 0, s.parameters())), null, Map.of());
        }
        return file;
    }

    /** A copy of {@code file} with its metadata and tensors changed. */
    private Path rewrite(Path file, String name, Consumer<Map<String, String>> meta, Consumer<Map<String, Tensor>> tensors)
            throws IOException {
        TensorFile f = Safetensors.read(file);
        Map<String, String> m = new LinkedHashMap<>(f.metadata());
        Map<String, Tensor> t = new LinkedHashMap<>(f.tensors());
        meta.accept(m);
        tensors.accept(t);
        Path out = dir.resolve(name);
        Safetensors.write(out, t, m);
        return out;
    }

    static Stream<Arguments> badMetadata() {
        return Stream.of(
                Arguments.of("checkpoint.version", "2", "expected \"1\", found \"2\""),
                Arguments.of("checkpoint.version", null, "expected a training checkpoint's checkpoint.version, found none"),
                Arguments.of("checkpoint.note", "1", "found an unknown one"),
                Arguments.of("checkpoint.rows", null, "expected a key checkpoint.rows"),
                Arguments.of("checkpoint.epoch", "6", "expected an integer from 0 to 5, found 6"),
                Arguments.of("checkpoint.epoch", "02", "expected an integer in digits, found \"02\""),
                Arguments.of("checkpoint.seed", "1e3", "expected an integer in digits"),
                Arguments.of("checkpoint.seed", "99999999999999999999", "expected an integer from -9223372036854775808 to"),
                Arguments.of("checkpoint.step", "-1", "expected an integer from 0 to"),
                Arguments.of("checkpoint.step", "3", "steps: expected at least 8 (2 epochs of 4 batches), found 3"),
                Arguments.of("checkpoint.shards", "33", "expected an integer from 1 to 32, found 33"),
                Arguments.of("checkpoint.stopped", "yes", "expected true or false, found \"yes\""),
                Arguments.of("checkpoint.stopped", "true", "stopped: expected at least 5 epochs without improvement"),
                Arguments.of("checkpoint.optimizer", "rmsprop", "expected sgd or adam, found \"rmsprop\""),
                Arguments.of("checkpoint.optimizer", "sgd", "expected no such key for an sgd optimizer"),
                Arguments.of("checkpoint.lr", "0", "learning rate: expected a finite value above 0"),
                Arguments.of("checkpoint.lr", "NaN", "expected a decimal number, found \"NaN\""),
                Arguments.of("checkpoint.beta2", "1.0", "beta2: expected a value in [0, 1), found 1.0"),
                Arguments.of("checkpoint.eps", "1e39", "within the float32 range"),
                Arguments.of("checkpoint.momentum", "0.9", "expected no such key for an adam optimizer"),
                Arguments.of("checkpoint.schedule", "cosine", "expected the written form \"cosine:0.0\", found \"cosine\""),
                Arguments.of("checkpoint.schedule", "linear", "expected constant, step:EPOCHS:GAMMA or cosine[:FLOOR]"),
                Arguments.of("checkpoint.patience", "0", "expected no such key without early stopping"),
                Arguments.of("checkpoint.best_epoch", "2", "expected an integer from -1 to 1, found 2"),
                Arguments.of("checkpoint.best_epoch", "-1", "expected no such key without a best epoch"),
                Arguments.of("checkpoint.best_loss", "Infinity", "expected a decimal number"),
                Arguments.of("checkpoint.since_best", "3", "expected an integer from 0 to 2, found 3"),
                Arguments.of("vecmlp.layers", "20:relu,9:tanh,4:linear", "shape: expected [4, 9]"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badMetadata")
    void badMetadataIsRejectedSayingWhatWasExpected(String key, String value, String fragment) throws IOException {
        Path p = rewrite(checkpoint(), "bad.safetensors", m -> {
            if (value == null) {
                m.remove(key);
            } else {
                m.put(key, value);
            }
        }, t -> { });
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CheckpointFile.read(p));
        assertTrue(e.getMessage().startsWith(p + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void aMissingExtraMisshapenOrNonFiniteTensorIsNamed() throws IOException {
        Path valid = checkpoint();
        Path missing = rewrite(valid, "missing.safetensors", m -> { }, t -> t.remove("optimizer.exp_avg_sq.4.bias"));
        assertRejected(missing, "optimizer.exp_avg_sq.4.bias", -1, () -> CheckpointFile.read(missing),
                "expected the tensor of layer 2's bias [3]", "found none");

        Path extra = rewrite(valid, "extra.safetensors", m -> { },
                t -> t.put("optimizer.momentum_buffer.0.bias", Tensor.f32(new float[20], 20)));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CheckpointFile.read(extra));
        assertEquals("optimizer.momentum_buffer.0.bias", e.tensor().orElseThrow(), e.getMessage());
        assertTrue(e.getMessage().contains("adam optimizer and best epoch, found this one too"), e.getMessage());

        Path shape = rewrite(valid, "shape.safetensors", m -> { }, t -> t.put("best.2.bias", Tensor.f32(new float[8], 8)));
        e = assertThrows(ModelFormatException.class, () -> CheckpointFile.read(shape));
        assertEquals("best.2.bias", e.tensor().orElseThrow(), e.getMessage());
        assertTrue(e.getMessage().contains("shape: expected [9] (layer 1's bias), found [8]"), e.getMessage());

        Path nan = rewrite(valid, "nan.safetensors", m -> { }, t -> {
            float[] v = new float[9 * 20];
            v[21] = Float.NaN;
            t.put("optimizer.exp_avg.2.weight", Tensor.f32(v, 9, 20));
        });
        e = assertThrows(ModelFormatException.class, () -> CheckpointFile.read(nan));
        assertEquals("optimizer.exp_avg.2.weight", e.tensor().orElseThrow(), e.getMessage());
        assertTrue(e.getMessage().contains("element [1][1]: expected a finite value, found NaN"), e.getMessage());
        assertTrue(e.offset().isPresent(), e.getMessage());
    }

    @Test
    void aTruncatedCheckpointIsRejectedAndAnInterruptedWriteLeavesTheOldOne() throws IOException {
        Path valid = checkpoint();
        byte[] bytes = Files.readAllBytes(valid);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 5));
        assertRejected(cut, null, bytes.length - 5, () -> CheckpointFile.read(cut), "file size: expected " + bytes.length);

        TrainingState state = CheckpointFile.read(valid).state();
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFile.write(valid, state, null, Map.of("checkpoint.note", "x")));
        assertTrue(bad.getMessage().contains("checkpoint.note"), bad.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(valid), "a refused write leaves the old checkpoint");
    }

    // ---------------------------------------------------------------------------------------
    // A checkpoint of another run

    @Test
    void resumingWithOtherSettingsDataOrArchitectureIsRefusedNamingTheDifference() throws IOException {
        TrainingState state = CheckpointFile.read(checkpoint()).state();
        try (Dataset d = blobs(100, 3); Dataset fewer = blobs(90, 3); Model m = state.newModel()) {
            try (Trainer t = Trainer.builder(m, state).batch(16).build()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.resume(state, d, null));
                assertTrue(e.getMessage().contains("batch: expected 16, found 32"), e.getMessage());
            }
            try (Trainer t = Trainer.builder(m, state).build()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.resume(state, fewer, null));
                assertTrue(e.getMessage().contains("expected 100 training rows, as the run was started on, found 90"),
                        e.getMessage());
            }
            try (Model other = NET.withL2(0).init(1); Trainer t = Trainer.builder(other, state).build()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.resume(state, d, null));
                assertTrue(e.getMessage().contains("architecture: expected " + NET.withL2(0)), e.getMessage());
            }
        }
    }

    @Test
    void aStateIsCheckedWholeWhenMade() {
        try (Model m = NET.init(1)) {
            float[] p = m.parametersToArray();
            TrainingState.Settings sgd = new TrainingState.Settings(Optimizer.sgd(0.1).momentum(0.9), 8, 3, 1, 2,
                    Schedule.constant(), 0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TrainingState(NET, p, sgd,
                    10, 1, false, 2, List.of(), TrainingState.EarlyStopping.NONE));
            assertTrue(e.getMessage().contains("optimizer state: expected 1 arrays"), e.getMessage());
            float[] nan = p.clone();
            nan[7] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> new TrainingState(NET, p, sgd, 10, 1, false, 2,
                    List.of(nan), TrainingState.EarlyStopping.NONE));
            assertTrue(e.getMessage().contains("optimizer state 0: expected finite values, found NaN at index 7"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new TrainingState(NET, p, sgd, 10, 4, false, 8,
                    List.of(p), TrainingState.EarlyStopping.NONE));
            assertTrue(e.getMessage().contains("epochs done: expected 0 to 3"), e.getMessage());
            TrainingState ok = new TrainingState(NET, p, sgd, 10, 3, false, 6, List.of(p), TrainingState.EarlyStopping.NONE);
            assertTrue(ok.finished());
            assertNull(ok.earlyStopping().bestParameters());
            float[] copy = ok.parameters();
            copy[0] += 1;
            assertFalse(copy[0] == ok.parameters()[0], "arrays are copied out");
        }
    }
}
