/**
 * Who may talk to Temporal and what a worker may run: the mTLS client settings every Temporal
 * client of Trainyard uses, and the Ed25519 signatures with which the backend grants one step (or
 * one approval) of a run it launched. The backend holds the private key; workers hold only the
 * public key and verify before they start anything, so access to Temporal alone cannot make a
 * worker run code.
 */
package dev.trainyard.workflow.trust;
