/** The tamper-evident audit log: every API mutation, hash-chained in an append-only table, and its verification. */
package dev.trainyard.backend.audit;
