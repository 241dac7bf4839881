package dev.trainyard.backend.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.trainyard.backend.common.Refusal;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.WorkflowClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's workflow history as Temporal keeps it, made readable for debugging: each event's type,
 * the activity and step it concerns, the attempt and the failure message. Read whole (a pipeline's
 * history is thousands of events at most) so that a completion can name the activity its scheduling
 * event named, then paged by event id. A retried run shows its latest execution.
 */
@ApplicationScoped
public class RunHistory {
  public static final int MAX_LIMIT = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject WorkflowClient temporal;
  @Inject RunReader runs;

  /** One event; null fields do not apply to its type. */
  public record Event(
      long eventId,
      Instant time,
      String type,
      String activity,
      String stepId,
      Integer attempt,
      String failure) {}

  /** Events after {@code after} (an event id, 0 for the first page), at most {@code limit}. */
  public record Page(List<Event> items, Long nextAfter) {}

  public Page page(String runId, long after, int limit) {
    if (limit < 1 || limit > MAX_LIMIT || after < 0) {
      List<Refusal.Problem> problems = new ArrayList<>();
      if (limit < 1 || limit > MAX_LIMIT) {
        problems.add(new Refusal.Problem("limit", "must be between 1 and " + MAX_LIMIT));
      }
      if (after < 0) {
        problems.add(new Refusal.Problem("after", "must be >= 0"));
      }
      throw new Refusal.Invalid(problems);
    }
    String id = runs.get(runId).id; // 404 for another team's run, as for the run itself
    List<Event> events = readable(history(id));
    List<Event> page = events.stream().filter(e -> e.eventId() > after).limit(limit + 1L).toList();
    if (page.size() > limit) {
      page = page.subList(0, limit);
      return new Page(page, page.getLast().eventId());
    }
    return new Page(page, null);
  }

  private List<HistoryEvent> history(String workflowId) {
    List<HistoryEvent> events = new ArrayList<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    try {
      do {
        GetWorkflowExecutionHistoryResponse response =
            temporal
                .getWorkflowServiceStubs()
                .blockingStub()
                .getWorkflowExecutionHistory(
                    GetWorkflowExecutionHistoryRequest.newBuilder()
                        .setNamespace(temporal.getOptions().getNamespace())
                        .setExecution(
                            WorkflowExecution.newBuilder().setWorkflowId(workflowId).build())
                        .setNextPageToken(token)
                        .build());
        events.addAll(response.getHistory().getEventsList());
        token = response.getNextPageToken();
      } while (!token.isEmpty());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new Refusal.NotFound(
            "run '" + workflowId + "' has no workflow history (not started, or past retention)");
      }
      throw RunWorkflows.unavailable(e);
    }
    return events;
  }

  private static List<Event> readable(List<HistoryEvent> history) {
    Map<Long, Event> scheduled = new HashMap<>();
    Map<Long, Integer> startedAttempt = new HashMap<>();
    List<Event> events = new ArrayList<>(history.size());
    for (HistoryEvent e : history) {
      String type = e.getEventType().name().replaceFirst("^EVENT_TYPE_", "");
      Instant time =
          Instant.ofEpochSecond(e.getEventTime().getSeconds(), e.getEventTime().getNanos());
      Event event = new Event(e.getEventId(), time, type, null, null, null, null);
      if (e.hasActivityTaskScheduledEventAttributes()) {
        var a = e.getActivityTaskScheduledEventAttributes();
        Step step = step(a.getInput());
        event =
            new Event(
                e.getEventId(),
                time,
                type,
                a.getActivityType().getName(),
                step.stepId(),
                null,
                null);
        scheduled.put(e.getEventId(), event);
      } else if (e.hasActivityTaskStartedEventAttributes()) {
        var a = e.getActivityTaskStartedEventAttributes();
        startedAttempt.put(e.getEventId(), a.getAttempt());
        event =
            about(
                event,
                scheduled.get(a.getScheduledEventId()),
                a.getAttempt(),
                failure(a.getLastFailure()));
      } else if (e.hasActivityTaskCompletedEventAttributes()) {
        var a = e.getActivityTaskCompletedEventAttributes();
        event =
            about(
                event,
                scheduled.get(a.getScheduledEventId()),
                startedAttempt.get(a.getStartedEventId()),
                null);
      } else if (e.hasActivityTaskFailedEventAttributes()) {
        var a = e.getActivityTaskFailedEventAttributes();
        event =
            about(
                event,
                scheduled.get(a.getScheduledEventId()),
                startedAttempt.get(a.getStartedEventId()),
                failure(a.getFailure()));
      } else if (e.hasActivityTaskTimedOutEventAttributes()) {
        var a = e.getActivityTaskTimedOutEventAttributes();
        event =
            about(
                event,
                scheduled.get(a.getScheduledEventId()),
                startedAttempt.get(a.getStartedEventId()),
                failure(a.getFailure()));
      } else if (e.hasActivityTaskCanceledEventAttributes()) {
        var a = e.getActivityTaskCanceledEventAttributes();
        event =
            about(
                event,
                scheduled.get(a.getScheduledEventId()),
                startedAttempt.get(a.getStartedEventId()),
                null);
      } else if (e.hasMarkerRecordedEventAttributes()) {
        // Local activities (the ledger's writes) are markers with the activity's type and input.
        var a = e.getMarkerRecordedEventAttributes();
        String activity = text(a.getDetailsMap().get("type"));
        Step step = step(a.getDetailsMap().get("input"));
        event =
            new Event(
                e.getEventId(),
                time,
                type,
                activity != null ? activity : a.getMarkerName(),
                step.stepId(),
                step.attempt(),
                failure(a.getFailure()));
      } else if (e.hasWorkflowExecutionFailedEventAttributes()) {
        event =
            withFailure(event, failure(e.getWorkflowExecutionFailedEventAttributes().getFailure()));
      } else if (e.hasWorkflowTaskFailedEventAttributes()) {
        event = withFailure(event, failure(e.getWorkflowTaskFailedEventAttributes().getFailure()));
      } else if (e.hasWorkflowExecutionSignaledEventAttributes()) {
        event =
            new Event(
                e.getEventId(),
                time,
                type,
                e.getWorkflowExecutionSignaledEventAttributes().getSignalName(),
                null,
                null,
                null);
      }
      events.add(event);
    }
    return events;
  }

  private static Event about(Event event, Event scheduled, Integer attempt, String failure) {
    return new Event(
        event.eventId(),
        event.time(),
        event.type(),
        scheduled == null ? null : scheduled.activity(),
        scheduled == null ? null : scheduled.stepId(),
        attempt,
        failure);
  }

  private static Event withFailure(Event event, String failure) {
    return new Event(event.eventId(), event.time(), event.type(), null, null, null, failure);
  }

  /** The message of a failure and of each cause, outermost first; null when there is none. */
  private static String failure(Failure failure) {
    if (failure == null || failure.equals(Failure.getDefaultInstance())) {
      return null;
    }
    List<String> messages = new ArrayList<>();
    for (Failure f = failure; f != null; f = f.hasCause() ? f.getCause() : null) {
      if (!f.getMessage().isBlank() && !messages.contains(f.getMessage())) {
        messages.add(f.getMessage());
      }
    }
    return messages.isEmpty() ? null : String.join(": ", messages);
  }

  private record Step(String stepId, Integer attempt) {
    static final Step NONE = new Step(null, null);
  }

  /**
   * The step an activity is about, from its JSON input: a step task's {@code stepId} and {@code
   * attempt}, or the ledger's {@code (runId, stepId, attempt, …)} arguments.
   */
  private static Step step(Payloads input) {
    if (input == null || input.getPayloadsCount() == 0) {
      return Step.NONE;
    }
    List<JsonNode> args = new ArrayList<>();
    for (Payload p : input.getPayloadsList()) {
      JsonNode node = json(p);
      if (node == null) {
        return Step.NONE; // not JSON (binary or encrypted payloads): say nothing rather than guess
      }
      args.add(node);
    }
    for (JsonNode arg : args) {
      if (arg.isObject() && arg.path("stepId").isTextual()) {
        return new Step(
            arg.get("stepId").asText(),
            arg.path("attempt").isInt() ? arg.get("attempt").asInt() : null);
      }
    }
    if (args.size() >= 2 && args.get(0).isTextual() && args.get(1).isTextual()) {
      return new Step(
          args.get(1).asText(),
          args.size() >= 3 && args.get(2).isInt() ? args.get(2).asInt() : null);
    }
    return Step.NONE;
  }

  private static String text(Payloads payloads) {
    if (payloads == null || payloads.getPayloadsCount() == 0) {
      return null;
    }
    JsonNode node = json(payloads.getPayloads(0));
    return node != null && node.isTextual() ? node.asText() : null;
  }

  private static JsonNode json(Payload payload) {
    String encoding =
        payload
            .getMetadataOrDefault("encoding", com.google.protobuf.ByteString.EMPTY)
            .toStringUtf8();
    if (!encoding.equals("json/plain")) {
      return null;
    }
    try {
      return JSON.readTree(payload.getData().toByteArray());
    } catch (IOException e) {
      return null;
    }
  }
}
