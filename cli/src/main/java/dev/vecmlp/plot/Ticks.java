package dev.vecmlp.plot;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Where an axis gets ticks, and what their labels say. */
final class Ticks {
    /**
     * One tick: its value in data units, its place on the axis (the value itself, or its base-2
     * logarithm on a log axis) and its label.
     */
    record Tick(double value, double position, String label) {
    }

    private static final String SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

    private Ticks() {
    }

    /**
     * About {@code target} ticks within {@code [min, max]}, a "nice" step apart: 1, 2 or 5 times a
     * power of ten. The labels are exact decimals (from {@link BigDecimal}, so 0.1 + 0.2 shows as
     * 0.3), all with the step's number of decimals, or in e-notation when that would be very long.
     */
    static List<Tick> linear(double min, double max, int target) {
        double raw = (max - min) / Math.max(1, target);
        int exponent = (int) Math.floor(Math.log10(raw));
        double fraction = raw / Math.pow(10, exponent);
        // The nice step nearest the raw one on a log scale: the cuts are the geometric means of
        // 1, 2, 5 and 10.
        int mantissa;
        if (fraction < Math.sqrt(2)) {
            mantissa = 1;
        } else if (fraction < Math.sqrt(10)) {
            mantissa = 2;
        } else if (fraction < Math.sqrt(50)) {
            mantissa = 5;
        } else {
            mantissa = 1;
            exponent++;
        }
        double step = mantissa * Math.pow(10, exponent);
        // The slack keeps a tick that lands on the range's end despite rounding.
        long first = (long) Math.ceil(min / step - 1e-9);
        long last = (long) Math.floor(max / step + 1e-9);
        boolean scientific = exponent < -4 || Math.max(Math.abs(min), Math.abs(max)) >= 1e6;
        List<Tick> ticks = new ArrayList<>();
        for (long k = first; k <= last; k++) {
            BigDecimal value = new BigDecimal(BigInteger.valueOf(k * mantissa), -exponent);
            double v = value.doubleValue();
            ticks.add(new Tick(v, v, scientific ? scientific(value) : value.toPlainString()));
        }
        return ticks;
    }

    /** Ticks at the powers of two {@code 2^e}, {@code e} a multiple of {@code every}, within {@code [lo, hi]} (exponents). */
    static List<Tick> log2(double lo, double hi, int every) {
        List<Tick> ticks = new ArrayList<>();
        for (long e = (long) Math.ceil(lo); e <= Math.floor(hi); e++) {
            if (Math.floorMod(e, every) == 0) {
                ticks.add(new Tick(Math.scalb(1.0, (int) e), e, powerOfTwo((int) e)));
            }
        }
        return ticks;
    }

    /** Plain numbers from 1/8 to 2^19 (widths, batch sizes), a superscript power above and below. */
    static String powerOfTwo(int e) {
        if (e >= 0 && e < 20) {
            return Long.toString(1L << e);
        }
        if (e >= -3 && e < 0) {
            return BigDecimal.ONE.divide(BigDecimal.valueOf(1L << -e)).toPlainString();
        }
        StringBuilder b = new StringBuilder("2");
        String digits = Integer.toString(e);
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            b.append(c == '-' ? '⁻' : SUPERSCRIPT_DIGITS.charAt(c - '0'));
        }
        return b.toString();
    }

    /** {@code 1.5e-5}, {@code 2e6}. */
    private static String scientific(BigDecimal value) {
        if (value.signum() == 0) {
            return "0";
        }
        BigDecimal v = value.stripTrailingZeros();
        String digits = v.unscaledValue().abs().toString();
        int power = digits.length() - 1 - v.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (v.signum() < 0 ? "-" : "") + mantissa + "e" + power;
    }
}
