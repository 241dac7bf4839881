package dev.trainyard.backend.schedules;

/** What a tick does while a run this schedule launched is still live (PENDING or RUNNING). */
public enum OverlapPolicy {
  /** Launch nothing: the tick is recorded as skipped. */
  SKIP,
  /** Keep at most one tick waiting; it launches when the live run ends. Further ticks skip. */
  BUFFER_ONE,
  /** Launch anyway: runs may overlap. */
  ALLOW
}
