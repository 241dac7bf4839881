/**
 * The standalone GPU worker: its configuration, its Temporal runtime and its command-line entry
 * point.
 */
package dev.trainyard.worker;
