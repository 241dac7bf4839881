/**
 * Datasets as versioned artifacts: registration (staging a copy, checking its format record by
 * record, storing it through the artifact store, numbering the version) and the references that
 * name a version ({@code corpus}, {@code corpus:v3}, {@code corpus@production}, a hash prefix).
 */
package dev.trainyard.backend.datasets;
