/**
 * The spec language's reference page ({@code docs/spec-reference.md}), generated from the kind
 * catalogue.
 */
package dev.trainyard.pipeline.reference;
