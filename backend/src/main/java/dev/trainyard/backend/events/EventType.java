package dev.trainyard.backend.events;

import java.util.Arrays;
import java.util.Optional;

/** The kinds of domain event, by their wire name ({@code run.ended}), as webhooks carry them. */
public enum EventType {
  RUN_STARTED("run.started"),
  RUN_ENDED("run.ended"),
  STEP_ENDED("step.ended"),
  ALIAS_MOVED("alias.moved"),
  DATASET_VERSION_REGISTERED("dataset.version.registered");

  private final String wireName;

  EventType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<EventType> of(String wireName) {
    return Arrays.stream(values()).filter(t -> t.wireName.equals(wireName)).findFirst();
  }

  /**
   * Whether a filter entry selects this type: its exact name, a prefix ending in {@code .*} ({@code
   * run.*}), or {@code *} for every type.
   */
  public boolean matches(String filter) {
    if (filter.equals("*") || filter.equals(wireName)) {
      return true;
    }
    return filter.endsWith(".*") && wireName.startsWith(filter.substring(0, filter.length() - 1));
  }

  /** Whether a filter entry selects at least one type (so a typo is refused, not silent). */
  public static boolean isValidFilter(String filter) {
    return filter != null && Arrays.stream(values()).anyMatch(t -> t.matches(filter));
  }
}
