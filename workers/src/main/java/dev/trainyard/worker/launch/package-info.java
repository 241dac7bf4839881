/**
 * Starting step processes in their own process group and stopping the whole group without orphans.
 */
package dev.trainyard.worker.launch;
