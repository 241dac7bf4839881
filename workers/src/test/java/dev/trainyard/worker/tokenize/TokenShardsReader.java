package dev.trainyard.worker.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a tokens artifact back the way docs/tokens-format.md says a trainer does. */
record TokenShardsReader(JsonNode index, List<int[]> documents, List<byte[]> masks) {
  static TokenShardsReader read(Path artifact, String split) throws IOException {
    JsonNode index = new ObjectMapper().readTree(artifact.resolve("tokens.json").toFile());
    boolean wide = index.get("dtype").asText().equals("uint32");
    List<int[]> documents = new ArrayList<>();
    List<byte[]> masks = new ArrayList<>();
    for (JsonNode shard : index.path("splits").path(split).path("shards")) {
      ByteBuffer tokens =
          ByteBuffer.wrap(Files.readAllBytes(artifact.resolve(shard.get("tokens").asText())))
              .order(ByteOrder.LITTLE_ENDIAN);
      byte[] mask = Files.readAllBytes(artifact.resolve(shard.get("mask").asText()));
      ByteBuffer docs =
          ByteBuffer.wrap(Files.readAllBytes(artifact.resolve(shard.get("docs").asText())))
              .order(ByteOrder.LITTLE_ENDIAN);
      int n = tokens.capacity() / (wide ? 4 : 2);
      if (mask.length != n) {
        throw new IllegalStateException("mask and tokens differ in length");
      }
      long[] starts = new long[docs.capacity() / 8];
      for (int i = 0; i < starts.length; i++) {
        starts[i] = docs.getLong();
      }
      if (starts[0] != 0 || starts[starts.length - 1] != n) {
        throw new IllegalStateException("docs offsets do not frame the tokens");
      }
      for (int d = 0; d + 1 < starts.length; d++) {
        int from = (int) starts[d];
        int to = (int) starts[d + 1];
        int[] ids = new int[to - from];
        for (int i = 0; i < ids.length; i++) {
          ids[i] =
              wide
                  ? tokens.getInt((from + i) * 4)
                  : Short.toUnsignedInt(tokens.getShort((from + i) * 2));
        }
        documents.add(ids);
        masks.add(java.util.Arrays.copyOfRange(mask, from, to));
      }
    }
    return new TokenShardsReader(index, documents, masks);
  }
}
