package dev.trainyard.backend.audit;

import jakarta.enterprise.context.RequestScoped;

/**
 * The current request's id and client address, for services that append their own audit events
 * (e.g. one per checkpoint retention deletes) beside the request's event.
 */
@RequestScoped
public class AuditRequest {
  private String requestId;
  private String clientAddress;

  void set(String requestId, String clientAddress) {
    this.requestId = requestId;
    this.clientAddress = clientAddress;
  }

  public String requestId() {
    return requestId == null ? java.util.UUID.randomUUID().toString() : requestId;
  }

  public String clientAddress() {
    return clientAddress;
  }
}
