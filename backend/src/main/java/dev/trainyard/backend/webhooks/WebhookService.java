package dev.trainyard.backend.webhooks;

import dev.trainyard.backend.common.Refusal.Invalid;
import dev.trainyard.backend.common.Refusal.NotFound;
import dev.trainyard.backend.common.Refusal.Problem;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.backend.events.EventType;
import dev.trainyard.backend.security.Caller;
import dev.trainyard.backend.webhooks.Webhooks.Delivery;
import dev.trainyard.backend.webhooks.Webhooks.Subscription;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Subscriptions and their delivery logs, scoped to the caller's teams: another team's subscription
 * is not found, as for every team-scoped row.
 */
@ApplicationScoped
public class WebhookService {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject WebhookRepository repository;
  @Inject WebhooksConfig config;
  @Inject TrainyardConfig trainyard;

  /** A new subscription and its secret, which is never shown again. */
  public record Created(Subscription subscription, String secret) {}

  public record NewSubscription(String url, List<String> events, String description, String team) {}

  /** Whether URLs may name internal addresses (see {@link WebhooksConfig}). */
  public boolean allowPrivateAddresses() {
    return config.allowPrivateAddresses().orElse(trainyard.auth().mode().equals("local"));
  }

  /**
   * @param team the team the subscription belongs to, already checked against the caller
   */
  public Created create(NewSubscription request, String team, Caller caller) {
    List<Problem> problems = new ArrayList<>();
    if (request.url() == null || request.url().isBlank()) {
      problems.add(new Problem("url", "required: the http(s) URL to POST events to"));
    } else if (request.url().length() > 2048) {
      problems.add(new Problem("url", "at most 2048 characters"));
    } else {
      WebhookUrls.problem(request.url(), allowPrivateAddresses())
          .ifPresent(p -> problems.add(new Problem("url", p)));
    }
    if (request.events() == null || request.events().isEmpty()) {
      problems.add(
          new Problem(
              "events",
              "required: event types such as ['run.ended'], prefixes such as ['run.*'], or ['*']"));
    } else {
      for (int i = 0; i < request.events().size(); i++) {
        if (!EventType.isValidFilter(request.events().get(i))) {
          problems.add(
              new Problem(
                  "events[" + i + "]",
                  "no event type '"
                      + request.events().get(i)
                      + "'; known: "
                      + List.of(EventType.values()).stream().map(EventType::wireName).toList()));
        }
      }
    }
    if (request.description() != null && request.description().length() > 200) {
      problems.add(new Problem("description", "at most 200 characters"));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    byte[] random = new byte[12];
    RANDOM.nextBytes(random);
    Subscription subscription =
        new Subscription(
            "wh_" + HexFormat.of().formatHex(random),
            team,
            request.url(),
            List.copyOf(Set.copyOf(request.events())).stream().sorted().toList(),
            request.description(),
            OffsetDateTime.now(),
            caller.name());
    String secret = Signatures.newSecret();
    QuarkusTransaction.requiringNew()
        .run(() -> repository.insertSubscription(subscription, secret));
    return new Created(subscription, secret);
  }

  public List<Subscription> list(Caller caller) {
    return QuarkusTransaction.requiringNew()
        .call(() -> repository.subscriptions(caller.isAdmin() ? null : caller.teams()));
  }

  public Subscription get(String id, Caller caller) {
    return QuarkusTransaction.requiringNew().call(() -> visible(id, caller));
  }

  private Subscription visible(String id, Caller caller) {
    return repository
        .subscription(id)
        .filter(s -> caller.sees(s.team()))
        .orElseThrow(() -> new NotFound("no webhook subscription '" + id + "'"));
  }

  /** Deletes it with its delivery log; deliveries in flight finish, none is made after. */
  public void delete(String id, Caller caller) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              visible(id, caller);
              repository.deleteSubscription(id);
            });
  }

  public List<Delivery> deliveries(String id, int limit, Caller caller) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              visible(id, caller);
              return repository.deliveries(id, limit);
            });
  }

  /**
   * Sends a delivery's event again as a new delivery (the same {@code webhook-id}, so a receiver
   * that already processed it can tell), whatever became of the first.
   */
  public long redeliver(String id, long deliveryId, Caller caller) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              visible(id, caller);
              if (!repository.subscriptionOfDelivery(deliveryId).map(id::equals).orElse(false)) {
                throw new NotFound("no delivery " + deliveryId + " of webhook subscription " + id);
              }
              return repository.redeliver(deliveryId);
            });
  }
}
