/**
 * OpenLineage export: a RunEvent for every state change of a step attempt (START, RUNNING,
 * COMPLETE, FAIL, ABORT), built from what the catalog committed, stored once per (attempt, event
 * type) and sent asynchronously with the official client's HTTP or file transport. Nothing here can
 * slow or fail a run: the ledger only hands over ids, and every error is logged and counted. See
 * docs/openlineage.md.
 */
package dev.trainyard.backend.openlineage;
