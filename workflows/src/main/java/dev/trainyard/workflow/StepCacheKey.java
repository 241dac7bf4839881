package dev.trainyard.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.trainyard.pipeline.kind.StepKinds;
import dev.trainyard.pipeline.plan.PlannedStep;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The step cache's key: what determines a step's output. Kind, the resolved body (parameters
 * substituted), the content ids of its inputs and the version of the code that runs the kind. Two
 * attempts with the same key produce the same output, so the second may reuse the first's. Computed
 * inside the workflow: pure and deterministic (sorted keys, no clock, no randomness).
 */
public final class StepCacheKey {
  /**
   * Bump when a kind's implementation changes what it produces (trainer, tensor engine), so results
   * of the old code are not reused.
   */
  public static final String IMPLEMENTATION_VERSION = "trainyard-steps/1";

  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private StepCacheKey() {}

  /**
   * The key, or null when the step opted out ({@code cache: false}) or its kind is never cached.
   */
  public static String of(PlannedStep step, Map<String, ArtifactRef> inputs) {
    // A kind whose result is not a pure function of its inputs says so in its definition.
    if (!StepKinds.of(step.kind()).cacheable() || Boolean.FALSE.equals(step.body().get("cache"))) {
      return null;
    }
    Map<String, String> inputIds = new TreeMap<>();
    inputs.forEach((name, ref) -> inputIds.put(name, ref.id()));
    Map<String, Object> identity = new LinkedHashMap<>();
    identity.put("implementation", IMPLEMENTATION_VERSION);
    identity.put("kind", step.kind());
    identity.put("body", step.body());
    identity.put("inputs", inputIds);
    try {
      byte[] canonical = CANONICAL.writeValueAsString(identity).getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
    } catch (JsonProcessingException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
