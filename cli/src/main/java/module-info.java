/**
 * The vecmlp command line ({@code dev.vecmlp.cli}) and its pictures ({@code dev.vecmlp.plot}:
 * charts and weight images, which take plain arrays). Everything that needs picocli, AWT or
 * JFreeChart lives here, so the engine module ({@code dev.vecmlp}) needs neither.
 */
module dev.vecmlp.cli {
    requires dev.vecmlp;
    requires info.picocli;
    requires java.desktop;
    // JFreeChart 1.5 has no module-info; its jar names the automatic module org.jfree.jfreechart.
    requires org.jfree.jfreechart;
    requires org.jfree.svg;

    exports dev.vecmlp.plot;

    opens dev.vecmlp.cli to info.picocli;
}
