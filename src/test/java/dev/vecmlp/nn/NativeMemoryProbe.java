package dev.vecmlp.nn;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.JMException;
import javax.management.ObjectName;

import dev.vecmlp.memory.Slab;

/**
 * The child JVM of {@link NativeMemoryTest}: creates and closes models and predictors, and prints
 * the process's native memory before and after, one {@code key value} line each. Needs
 * {@code -XX:NativeMemoryTracking=summary}, which only a JVM's command line can turn on.
 *
 * <p>Arguments: the warm-up cycles, then the measured cycles.
 */
final class NativeMemoryProbe {
    private static final Mlp SPEC = Mlp.input(32).dense(32, Activation.RELU).dense(4, Activation.LINEAR)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY).build();
    private static final Pattern OTHER = Pattern.compile("Other \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
    private static final Pattern TOTAL = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB");
    private static final Pattern RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private NativeMemoryProbe() {
    }

    public static void main(String[] args) throws IOException, JMException {
        int warmUp = Integer.parseInt(args[0]);
        int cycles = Integer.parseInt(args[1]);
        long seen;
        long empty = otherKb();
        // A slab of 4 MiB must show in the meter, or a flat reading would prove nothing.
        try (Slab probe = Slab.allocate("probe", 1 << 20)) {
            seen = otherKb() - empty;
        }
        System.out.println("slab-4mib-seen-kb " + seen);
        cycle(warmUp);
        long rss = rssKb(), other = otherKb(), total = totalKb();
        long t0 = System.nanoTime();
        cycle(cycles);
        System.out.println("millis " + (System.nanoTime() - t0) / 1_000_000);
        System.out.println("rss-kb " + rss + " " + rssKb());
        System.out.println("nmt-other-kb " + other + " " + otherKb());
        System.out.println("nmt-total-committed-kb " + total + " " + totalKb());
    }

    private static void cycle(int n) {
        float[] x = new float[4 * SPEC.inputs()];
        float[] y = new float[4 * SPEC.outputs()];
        for (int i = 0; i < n; i++) {
            try (Model model = SPEC.init(i); Predictor p = model.predictor(4)) {
                x[i % x.length] = i;
                p.predict(x, y);
            }
        }
    }

    private static long rssKb() throws IOException {
        return find(RSS, Files.readString(Path.of("/proc/self/status")));
    }

    private static long otherKb() throws JMException {
        return find(OTHER, nmtSummary());
    }

    private static long totalKb() throws JMException {
        return find(TOTAL, nmtSummary());
    }

    private static String nmtSummary() throws JMException {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
    }

    private static long find(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("expected '" + p + "' in:\n" + text);
        }
        return Long.parseLong(m.group(1));
    }
}
