/**
 * The GPUs of this host: discovering them and handing them out to steps without oversubscription.
 */
package dev.trainyard.worker.gpu;
