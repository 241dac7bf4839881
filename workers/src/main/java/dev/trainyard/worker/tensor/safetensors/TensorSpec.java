package dev.trainyard.worker.tensor.safetensors;

/** A tensor to be written: name, dtype and shape, its data to come. */
public record TensorSpec(String name, DType dtype, long[] shape) {
  public TensorSpec {
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return TensorInfo.numel(shape);
  }

  public long byteSize() {
    return numel() * dtype.size();
  }
}
