package dev.vecmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.vecmlp.data.Dataset;
import dev.vecmlp.data.IdxReader;
import dev.vecmlp.data.Scaling;
import dev.vecmlp.nn.Activation;
import dev.vecmlp.nn.Loss;
import dev.vecmlp.nn.Mlp;
import dev.vecmlp.nn.Model;

/** End to end on real digits: a slice of the bundled MNIST subset, read, scaled, trained, tested. */
class MnistSliceTest {
    private static final Path DIR = Path.of("data", "mnist-10k");
    private static final Mlp NET = Mlp.input(784).dense(128, Activation.RELU).dense(10, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();

    private static Dataset train;
    private static Dataset test;

    @BeforeAll
    static void read() throws IOException {
        try (Dataset all = IdxReader.read(DIR.resolve("train-images-idx3-ubyte.gz"), DIR.resolve("train-labels-idx1-ubyte.gz"));
             Dataset allTest = IdxReader.read(DIR.resolve("t10k-images-idx3-ubyte.gz"), DIR.resolve("t10k-labels-idx1-ubyte.gz"))) {
            train = all.slice(0, 2000);
            test = allTest.slice(0, 500);
        }
        Scaling s = Scaling.fit(Scaling.Kind.DIVIDE, train);
        s.apply(train);
        s.apply(test);
    }

    @AfterAll
    static void close() {
        train.close();
        test.close();
    }

    @Test
    void learnsDigitsFromTwoThousandExamples() {
        try (Model m = NET.init(1);
             Trainer t = Trainer.builder(m, Optimizer.sgd(0.05).momentum(0.9).weightDecay(1e-4)).batch(32).epochs(4).seed(1)
                     .build()) {
            Evaluation before = t.evaluate(test);
            TrainingHistory h = t.fit(train, null);
            Evaluation after = t.evaluate(test);
            assertTrue(before.accuracy() < 0.3, "untrained: " + before);
            assertTrue(after.accuracy() > 0.88, "after 4 epochs on 2,000 digits: " + after);
            assertTrue(h.last().trainAccuracy() > 0.9, h.last().toString());
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameDigitsModel() {
        float[][] weights = new float[2][];
        for (int threads = 1; threads <= 2; threads++) {
            try (Model m = NET.init(2);
                 Trainer t = Trainer.builder(m, Optimizer.adam(1e-3)).batch(64).epochs(1).seed(2).threads(threads).build()) {
                t.fit(train, null);
                assertEquals(threads, t.threads());
                weights[threads - 1] = m.parametersToArray();
            }
        }
        assertArrayEquals(weights[0], weights[1]);
    }
}
