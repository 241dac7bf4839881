/**
 * Outgoing webhooks: a team's subscriptions (URL, event-type filter, signing secret), the
 * deliveries the outbox's events fan out into, and the background sender that signs them as the
 * Standard Webhooks specification says, retries them with backoff and logs every attempt.
 */
package dev.trainyard.backend.webhooks;
