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
import java.util.concurrent.atomic.LongAdder;
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
    Future<?> pending = null;
    try {
      int done = 0;
      for (Item item : items) {
        if (cancelled.getAsBoolean()) {
          throw new CancellationException("cancelled before tensor '" + item.spec().name() + "'");
        }
        TensorSpec spec = item.spec();
        Future<?> write;
        if (item.producer() != null) {
          float[] values = item.producer().produce();
          long zeros = countZeros(values);
          stats.add(
              new TensorStat(spec.name(), spec.dtype().name(), spec.shape(), values.length, zeros));
          await(pending);
          write =
              io.submit(
                  () -> {
                    writer.writeFloats(spec.name(), values);
                    return null;
                  });
        } else {
          Checkpoint.Entry source = item.passThrough();
          stats.add(
              new TensorStat(spec.name(), spec.dtype().name(), spec.shape(), spec.numel(), 0));
          await(pending);
          write =
              io.submit(
                  () -> {
                    writer.writeRaw(
                        spec.name(),
                        source.file().mapRaw(source.info(), 0, source.info().byteSize()));
                    return null;
                  });
        }
        pending = write;
        done++;
        progress.accept("tensor " + done + "/" + items.size() + ": " + spec.name());
      }
      await(pending);
      return stats;
    } finally {
      io.shutdownNow();
    }
  }

  private static void await(Future<?> f) throws IOException {
    if (f == null) {
      return;
    }
    try {
      f.get();
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

  static long countZeros(float[] v) {
    LongAdder zeros = new LongAdder();
    Parallel.forRange(
        v.length,
        (from, to) -> {
          long z = 0;
          for (int j = from; j < to; j++) {
            if (v[j] == 0) {
              z++;
            }
          }
          zeros.add(z);
        });
    return zeros.sum();
  }
}
