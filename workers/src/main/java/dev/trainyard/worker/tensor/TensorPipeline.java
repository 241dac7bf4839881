package dev.trainyard.worker.tensor;

import dev.trainyard.worker.tensor.safetensors.Checkpoint;
import dev.trainyard.worker.tensor.safetensors.CheckpointWriter;
import dev.trainyard.worker.tensor.safetensors.TensorSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Produces output tensors one at a time, in plan order, while the previous one is being encoded,
 * hashed and written on a writer thread. At most the current tensor's inputs, its output and one
 * output being written are alive: peak memory is (inputs + 2) × the largest tensor, whatever the
 * checkpoint size.
 */
public final class TensorPipeline {
  /** Computes one output tensor's values. */
  @FunctionalInterface
  public interface Producer {
    float[] produce() throws IOException;
  }

  /** One planned output: computed from floats, or copied byte for byte from an input. */
  public record Item(TensorSpec spec, Producer producer, Checkpoint.Entry passThrough) {
    public static Item computed(TensorSpec spec, Producer producer) {
      return new Item(spec, producer, null);
    }

    public static Item copied(TensorSpec spec, Checkpoint.Entry source) {
      return new Item(spec, null, source);
    }
  }

  private TensorPipeline() {}

  public static List<TensorSpec> specs(List<Item> items) {
    return items.stream().map(Item::spec).toList();
  }

  /** Runs every item into {@code writer}; checks {@code cancelled} before each tensor. */
  public static List<TensorStat> run(
      List<Item> items,
      CheckpointWriter writer,
      BooleanSupplier cancelled,
      Consumer<String> progress)
      throws IOException {
    List<TensorStat> stats = new ArrayList<>(items.size());
    ExecutorService io =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tensor-writer");
              t.setDaemon(true);
              return t;
            });
    Future<TensorStat> pending = null;
    try {
      int done = 0;
      for (Item item : items) {
        if (cancelled.getAsBoolean()) {
          throw new CancellationException("cancelled before tensor '" + item.spec().name() + "'");
        }
        TensorSpec spec = item.spec();
        Future<TensorStat> write;
        if (item.producer() != null) {
          float[] values = item.producer().produce();
          collect(pending, stats);
          // zeros are counted by the writer while it encodes: one pass over the values, not two
          write =
              io.submit(
                  () ->
                      new TensorStat(
                          spec.name(),
                          spec.dtype().name(),
                          spec.shape(),
                          values.length,
                          writer.writeFloats(spec.name(), values)));
        } else {
          Checkpoint.Entry source = item.passThrough();
          collect(pending, stats);
          write =
              io.submit(
                  () -> {
                    writer.writeRaw(
                        spec.name(),
                        source.file().mapRaw(source.info(), 0, source.info().byteSize()));
                    return new TensorStat(
                        spec.name(), spec.dtype().name(), spec.shape(), spec.numel(), 0);
                  });
        }
        pending = write;
        done++;
        progress.accept("tensor " + done + "/" + items.size() + ": " + spec.name());
      }
      collect(pending, stats);
      return stats;
    } finally {
      io.shutdownNow();
    }
  }

  private static void collect(Future<TensorStat> pending, List<TensorStat> stats)
      throws IOException {
    if (pending != null) {
      stats.add(await(pending));
    }
  }

  private static <T> T await(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new UncheckedIOException(new IOException(c));
    }
  }
}
