/**
 * The tamper-evident audit log: every API mutation, hash-chained in an append-only table, each row
 * keyed with an HMAC the database never sees and the chain head anchored outside it; and its
 * verification. {@code AuditLog} hashes and verifies; {@code AuditRepository} holds the SQL.
 */
package dev.trainyard.backend.audit;
