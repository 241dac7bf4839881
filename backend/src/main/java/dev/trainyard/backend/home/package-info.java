/**
 * The files the worker keeps under the home directory (stored artifacts, step attempts' work dirs),
 * as the backend needs them. The backend sees only these interfaces; {@code local.WorkerHomeFiles}
 * implements them with the worker's own classes, so the worker's layout has one source.
 */
package dev.trainyard.backend.home;
