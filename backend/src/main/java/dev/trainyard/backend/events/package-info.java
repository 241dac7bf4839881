/**
 * Domain events: what changed in the catalog (a run started or ended, a step ended, an alias moved,
 * a dataset version was registered), written to an outbox table in the same transaction as the
 * change itself, so a rolled-back change has no event and a committed one always has one. Webhooks
 * and triggers read the outbox; nothing here sends anything.
 */
package dev.trainyard.backend.events;
