package dev.vecmlp.plot;

import java.awt.image.RenderedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** Pictures written through {@link dev.vecmlp.io.AtomicFile}: the old file or the whole new one. */
final class AtomicFile {
    /** Writes the whole content to {@code out}; need not close it. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFile() {
    }

    static void writePng(Path target, RenderedImage image) throws IOException {
        write(target, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer for an image of type " + image.getClass().getName());
            }
        });
    }

    static void write(Path target, Content content) throws IOException {
        dev.vecmlp.io.AtomicFile.write(target, (channel, temporary) -> {
            OutputStream out = Channels.newOutputStream(channel);
            content.writeTo(out);
            out.flush();
        });
    }
}
