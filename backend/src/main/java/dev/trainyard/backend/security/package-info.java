/**
 * Who is calling and what they may do: the local-mode token, the caller's roles and teams, and the
 * one table of access rules every API request passes through.
 */
package dev.trainyard.backend.security;
