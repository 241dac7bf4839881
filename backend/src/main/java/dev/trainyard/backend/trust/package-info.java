/**
 * The backend's side of "Temporal is not a back door" (H2): the Ed25519 key that signs steps and
 * approvals, and the checks of every workflow against the catalog before anything is signed.
 * Workers and the workflow code see only the public key and the signatures ({@code
 * dev.trainyard.workflow.trust}).
 */
package dev.trainyard.backend.trust;
