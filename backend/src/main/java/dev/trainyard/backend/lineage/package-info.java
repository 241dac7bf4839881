/**
 * Lineage: the graph of artifacts and step attempts with typed edges. {@code LineageNode} names a
 * node, {@code LineageRepository} holds the edge table's SQL (recursive walks), {@code
 * LineageService} turns walks into the graphs the API answers.
 */
package dev.trainyard.backend.lineage;
