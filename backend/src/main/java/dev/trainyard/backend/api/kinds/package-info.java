/**
 * The published step-kind catalogue: {@code GET /api/v1/step-kinds}, JSON Schema generated from the
 * kinds.
 */
package dev.trainyard.backend.api.kinds;
