package dev.vecmlp.plot;

/** Puts AWT in headless mode before the package first touches it. */
final class Headless {
    static {
        // Training runs on servers without a display; a GUI toolkit would fail there or pop up a
        // dock icon on a desktop. A caller who chose a mode explicitly keeps it.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Headless() {
    }

    /** Runs the static initializer above (once per class loader). */
    static void ensure() {
    }
}
