package dev.trainyard.backend.api.runs;

/** Lets tests in other packages read how many event streams a caller holds. */
public final class RunEventsTestAccess {
  private RunEventsTestAccess() {}

  public static int openStreams(String caller) {
    return RunEventsResource.openStreams(caller);
  }
}
