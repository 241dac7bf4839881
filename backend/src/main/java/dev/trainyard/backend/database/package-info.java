/**
 * Least privilege for the catalog database: the check that the application's connection is no
 * superuser and owns nothing.
 */
package dev.trainyard.backend.database;
