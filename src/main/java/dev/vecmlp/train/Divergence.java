package dev.vecmlp.train;

import dev.vecmlp.memory.Matrix;
import dev.vecmlp.memory.Slab;
import dev.vecmlp.nn.Model;
import dev.vecmlp.nn.ShardedPass;

/**
 * Finds where a NaN or infinity first appeared in a training step that diverged, walking the
 * tensors in the order the step computed them. Runs only after a step has failed.
 */
final class Divergence {
    private Divergence() {
    }

    /** Where: a layer (or -1), a tensor name, a human description. */
    private record Site(int layer, String tensor, String description) {
    }

    /** The loss of the step was not finite: look through the forward pass. */
    static TrainingDivergedException inForward(Model model, ShardedPass pass, double loss, long step, int epoch, int batch,
                                               int batches) {
        Site site = forwardSite(model, pass);
        if (site == null) {
            site = new Site(-1, "loss", "the loss itself (every input, weight and activation was finite, so the loss"
                    + " function overflowed, e.g. squared error on huge outputs)");
        }
        return exception("the loss is " + loss, site, step, epoch, batch, batches);
    }

    /** A gradient was not finite: look through the backward pass, then the summed gradients. */
    static TrainingDivergedException inBackward(Model model, ShardedPass pass, Slab gradients, long step, int epoch,
                                                int batch, int batches) {
        Site site = forwardSite(model, pass);
        int shards = pass.activeShards();
        int depth = model.spec().depth();
        for (int l = depth - 1; l >= 0 && site == null; l--) {
            for (int s = 0; s < shards && site == null; s++) {
                site = scan(pass.shard(s).errorSignal(l), pass.heldRows(s), pass.heldFrom(s), l, "error signal",
                        "layer " + l + "'s error signal ∂loss/∂Z" + shardText(s, shards));
            }
        }
        if (site == null) {
            site = gradientSite(model, gradients, " (summed over the shards)");
        }
        if (site == null) {
            site = new Site(-1, "dW", "the gradients (not located: it was finite on a second look)");
        }
        return exception("a gradient is not finite", site, step, epoch, batch, batches);
    }

    /** A gradient given to an {@link Updater} was not finite: where, in the slab. */
    static TrainingDivergedException inGivenGradient(Model model, Slab gradients, long step) {
        Site site = gradientSite(model, gradients, "");
        String where = site == null ? "the gradient (not located: it was finite on a second look)" : site.description();
        return new TrainingDivergedException("update " + (step + 1) + ": expected a finite gradient, found a NaN or infinity in "
                + where + ". The model keeps the weights from before this update; a smaller learning rate may help.", step, -1,
                site == null ? -1 : site.layer(), site == null ? "dW" : site.tensor());
    }

    /** The first non-finite value of a gradient slab, from the last layer down, or null. */
    private static Site gradientSite(Model model, Slab gradients, String note) {
        for (int l = model.spec().depth() - 1; l >= 0; l--) {
            Matrix w = model.weightGradient(l);
            Matrix dw = gradients.matrix(model.layout().weightOffset(l), w.rows(), w.cols(), w.stride());
            Site site = scan(dw, dw.rows(), 0, l, "dW", "layer " + l + "'s weight gradient dW" + note);
            if (site == null) {
                Matrix db = gradients.matrix(model.layout().biasOffset(l), 1, w.rows());
                site = scan(db, 1, 0, l, "db", "layer " + l + "'s bias gradient db" + note);
            }
            if (site != null) {
                return site;
            }
        }
        return null;
    }

    /**
     * The first non-finite weight or bias, else the first non-finite value of the shards'
     * inputs and activations, in the rows each shard's workspace holds after the step
     * ({@link ShardedPass#heldFrom}: a large shard's last chunk, where it stopped).
     */
    private static Site forwardSite(Model model, ShardedPass pass) {
        int shards = pass.activeShards();
        int depth = model.spec().depth();
        for (int l = 0; l < depth; l++) {
            Site site = scan(model.weights(l), model.weights(l).rows(), 0, l, "W", "layer " + l + "'s weights W, before the step");
            if (site == null) {
                site = scan(model.bias(l), 1, 0, l, "b", "layer " + l + "'s bias b, before the step");
            }
            if (site != null) {
                return site;
            }
        }
        for (int s = 0; s < shards; s++) {
            Site site = scan(pass.shard(s).inputs(), pass.heldRows(s), pass.heldFrom(s), -1, "input", "the input batch" + shardText(s, shards)
                    + " (the data set holds a NaN or infinity)");
            if (site != null) {
                return site;
            }
        }
        for (int l = 0; l < depth; l++) {
            for (int s = 0; s < shards; s++) {
                Site site = scan(pass.shard(s).preActivation(l), pass.heldRows(s), pass.heldFrom(s), l, "Z", "layer " + l + "'s pre-activation Z" + shardText(s, shards));
                if (site != null) {
                    return site;
                }
            }
            for (int s = 0; s < shards; s++) {
                Site site = scan(pass.shard(s).activation(l), pass.heldRows(s), pass.heldFrom(s), l, "H", "layer " + l + "'s activation H" + shardText(s, shards));
                if (site != null) {
                    return site;
                }
            }
        }
        return null;
    }

    private static String shardText(int s, int shards) {
        return shards > 1 ? " of shard " + s : "";
    }

    /** The first non-finite value of the first {@code rows} rows of {@code m}, whose row 0 is row {@code first} of what it names. */
    private static Site scan(Matrix m, int rows, int first, int layer, String tensor, String description) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < m.cols(); c++) {
                float v = m.get(r, c);
                if (!Float.isFinite(v)) {
                    return new Site(layer, tensor, description + " at row " + (first + r) + ", column " + c + " (" + v + ")");
                }
            }
        }
        return null;
    }

    private static TrainingDivergedException exception(String what, Site site, long step, int epoch, int batch, int batches) {
        String message = "training diverged at step " + step + " (epoch " + (epoch + 1) + ", batch " + (batch + 1) + " of "
                + batches + "): " + what + "; the first non-finite value is in " + site.description()
                + ". The model keeps the weights from before this step; a smaller learning rate may help.";
        return new TrainingDivergedException(message, step, epoch, site.layer(), site.tensor());
    }
}
