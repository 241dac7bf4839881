/**
 * The catalog in PostgreSQL: templates, runs, steps, attempts, artifacts, lineage edges and aliases
 * (entities), and the ledger that records what workflows do.
 */
package dev.trainyard.backend.catalog;
