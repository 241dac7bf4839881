/**
 * The Python runtime the reference trainer needs: which interpreter, whether it has what the
 * trainer imports (checked at worker start, with a message naming exactly what is missing), and the
 * trainer's sources, packaged in the worker jar and extracted once per version under {@code
 * <root>/runtime/}.
 */
package dev.trainyard.worker.runtime;
