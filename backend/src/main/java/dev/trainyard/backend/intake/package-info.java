/**
 * Bringing existing content into the artifact store, shared by dataset registration and checkpoint
 * import: copying a file or directory from inside the data roots (no link followed) or an S3 object
 * or prefix from inside the S3 roots, streaming an upload or a tar under a size limit, storing the
 * staged copy content-addressed, and recording the artifact row and its manifest. What each kind
 * checks and records beyond that is its own.
 */
package dev.trainyard.backend.intake;
