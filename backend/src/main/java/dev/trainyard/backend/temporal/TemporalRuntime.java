package dev.trainyard.backend.temporal;

import dev.trainyard.backend.catalog.CatalogLedger;
import dev.trainyard.backend.config.TrainyardConfig;
import dev.trainyard.worker.TrainyardWorker;
import dev.trainyard.worker.WorkerConfig;
import dev.trainyard.workflow.PipelineWorkflowImpl;
import dev.trainyard.workflow.TaskQueues;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Connects to Temporal (or starts the embedded service), hosts the workflow worker with the ledger
 * activities, and in local mode an in-process step worker. Plain SDK wiring: a few producers.
 */
@ApplicationScoped
public class TemporalRuntime {
  private static final Logger LOG = Logger.getLogger(TemporalRuntime.class);

  @Inject TrainyardConfig config;
  @Inject CatalogLedger ledger;

  private EmbeddedTemporal embedded;
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;
  private WorkerFactory factory;
  private TrainyardWorker stepWorker;

  void onStart(@Observes @Priority(10) StartupEvent event) {
    start();
  }

  synchronized void start() {
    if (client != null) {
      return;
    }
    String target = config.temporal().target();
    if (isEmbedded()) {
      try {
        embedded = EmbeddedTemporal.start(config.temporal().embeddedPort());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded Temporal service on 127.0.0.1:"
            + config.temporal().embeddedPort() + " (is the port taken?)", e);
      }
      target = embedded.target();
      LOG.infof("Embedded Temporal service listening on %s", target);
    }
    stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(target).setRpcTimeout(Duration.ofSeconds(10)).build());
    client = WorkflowClient.newInstance(
        stubs, WorkflowClientOptions.newBuilder().setNamespace(config.temporal().namespace()).build());

    factory = WorkerFactory.newInstance(client);
    Worker workflows = factory.newWorker(TaskQueues.WORKFLOWS);
    workflows.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
    workflows.registerActivitiesImplementations(ledger);
    factory.start();

    if (config.worker().embedded()) {
      stepWorker = new TrainyardWorker(
          new WorkerConfig(config.home(), config.worker().pools(), config.worker().maxConcurrentSteps(),
              Duration.ofSeconds(10)),
          client);
      stepWorker.start();
      LOG.infof("In-process worker polling pools %s", config.worker().pools());
    }
  }

  public boolean isEmbedded() {
    return "embedded".equals(config.temporal().target());
  }

  @Produces
  @ApplicationScoped
  WorkflowClient workflowClient() {
    start();
    return client;
  }

  void onStop(@Observes ShutdownEvent event) {
    if (stepWorker != null) {
      stepWorker.close();
    }
    if (factory != null) {
      factory.shutdownNow();
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (embedded != null) {
      embedded.close();
    }
  }
}
