/**
 * Model files in the safetensors format, so that models travel between vecmlp and PyTorch.
 *
 * <p>{@link dev.vecmlp.io.ModelFile} saves and restores a whole model (parameters, architecture,
 * input scaling, the caller's metadata) in one file an {@code nn.Sequential} can load;
 * {@link dev.vecmlp.io.Safetensors} reads and writes any named {@link dev.vecmlp.io.Tensor}s, for
 * files such as checkpoints with optimizer state. Reading checks everything and reports any
 * problem as a {@link dev.vecmlp.io.ModelFormatException} naming the file, the tensor and the
 * byte offset; writing is atomic.
 */
package dev.vecmlp.io;
